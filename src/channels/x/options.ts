import type { RichContentKind } from '../capabilities.ts';

export interface XOptions {
  /** The app's API key (OAuth 1.0a consumer key). */
  readonly consumerKey: string;
  /** The app's API secret: signs webhooks and answers the CRC check. */
  readonly consumerSecret: string;
  /** The account's OAuth 1.0a access token and secret (the account the DMs are sent from). */
  readonly accessToken: string;
  readonly accessTokenSecret: string;
  /** The account's user id (`for_user_id` of webhooks); other accounts' events are refused. */
  readonly userId: string;
  /** @default "https://api.x.com" */
  readonly baseUrl?: string;
  /** @default [] */
  readonly disabledContent?: readonly RichContentKind[];
}

export type ResolvedXOptions = Required<XOptions>;

export function resolveXOptions(options: XOptions): ResolvedXOptions {
  return { baseUrl: 'https://api.x.com', disabledContent: [], ...options };
}
