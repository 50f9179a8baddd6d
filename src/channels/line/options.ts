import type { RichContentKind } from '../capabilities.ts';

export interface LineOptions {
  /** The channel secret: signs webhooks. */
  readonly channelSecret: string;
  /** The channel access token for the Messaging API. */
  readonly channelAccessToken: string;
  /** The bot's user id (`destination` of webhooks); when set, other destinations are refused. */
  readonly botUserId?: string;
  /** @default "https://api.line.me" */
  readonly baseUrl?: string;
  /** Where message content (images, files…) is downloaded. @default "https://api-data.line.me" */
  readonly dataBaseUrl?: string;
  /**
   * How long a reply token is used after its message arrived; later messages are pushed.
   * LINE does not publish the validity (about 30 s was observed, cofacts/rumors-line-bot#154),
   * so the default keeps a margin for the time the send takes. @default 25_000
   */
  readonly replyTokenTtlMs?: number;
  /** @default [] */
  readonly disabledContent?: readonly RichContentKind[];
}

export type ResolvedLineOptions = Required<Omit<LineOptions, 'botUserId'>> & Pick<LineOptions, 'botUserId'>;

export function resolveLineOptions(options: LineOptions): ResolvedLineOptions {
  return { baseUrl: 'https://api.line.me', dataBaseUrl: 'https://api-data.line.me', replyTokenTtlMs: 25_000, disabledContent: [], ...options };
}
