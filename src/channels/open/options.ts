export interface OpenOptions {
  /** The shared secret both sides sign with (inbound webhooks and our outbound posts). */
  readonly secret: string;
  /** Where agent replies are POSTed: the gateway's outbound webhook. */
  readonly outboundUrl: string;
  /** Our id as the sender (`channel.from.id` of outbound messages). @default "parley" */
  readonly fromId?: string;
}

export type ResolvedOpenOptions = Required<OpenOptions>;

export function resolveOpenOptions(options: OpenOptions): ResolvedOpenOptions {
  return { fromId: 'parley', ...options };
}
