import type { RichContentKind } from '../capabilities.ts';

export interface AppleOptions {
  /** The messaging service provider id: the `aud` of Apple's tokens and the `iss` of ours. */
  readonly mspId: string;
  /** The MSP's API secret, Base64-encoded as Apple issues it. */
  readonly secret: string;
  /** The business id (`destination-id` of inbound messages, `source-id` of ours). */
  readonly businessId: string;
  /** @default "https://mspgw.push.apple.com" */
  readonly baseUrl?: string;
  /** Our `msp-agent` header, logged by Apple. @default "parley" */
  readonly agentName?: string;
  /** Rich content sent as text instead (the Channel's `spec.richContent.disabled`). @default [] */
  readonly disabledContent?: readonly RichContentKind[];
}

export type ResolvedAppleOptions = Required<AppleOptions> & { readonly key: Buffer };

export function resolveAppleOptions(options: AppleOptions): ResolvedAppleOptions {
  return { baseUrl: 'https://mspgw.push.apple.com', agentName: 'parley', disabledContent: [], ...options, key: Buffer.from(options.secret, 'base64') };
}
