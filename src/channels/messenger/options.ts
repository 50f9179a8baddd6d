import type { RichContentKind } from '../capabilities.ts';

export const MetaPlatforms = ['messenger', 'instagram'] as const;
export type MetaPlatform = (typeof MetaPlatforms)[number];

export interface MessengerOptions {
  /** `messenger` (webhook object `page`) or `instagram` (object `instagram`). */
  readonly platform: MetaPlatform;
  /** The Meta app's secret: signs webhooks. */
  readonly appSecret: string;
  /** The token typed into the app's webhook settings, echoed in the GET handshake. */
  readonly verifyToken: string;
  /** The Page access token (Instagram: the token of the Page linked to the professional account). */
  readonly accessToken: string;
  /** The Page id (Messenger) or the Instagram professional account id: `entry[].id`. */
  readonly accountId: string;
  /** @default "https://graph.facebook.com" */
  readonly baseUrl?: string;
  /** @default "v23.0" */
  readonly apiVersion?: string;
  /** Standard messaging window after the customer's last message. @default 86_400_000 (24 h) */
  readonly windowMs?: number;
  /**
   * Whether the app has the Human Agent permission: an agent may then answer with the
   * `HUMAN_AGENT` tag up to `humanAgentWindowMs` after the customer's last message. @default false
   */
  readonly humanAgentTag?: boolean;
  /** @default 604_800_000 (7 days) */
  readonly humanAgentWindowMs?: number;
  /** @default [] */
  readonly disabledContent?: readonly RichContentKind[];
}

export type ResolvedMessengerOptions = Required<MessengerOptions>;

export function resolveMessengerOptions(options: MessengerOptions): ResolvedMessengerOptions {
  return {
    baseUrl: 'https://graph.facebook.com',
    apiVersion: 'v23.0',
    windowMs: 24 * 3_600_000,
    humanAgentTag: false,
    humanAgentWindowMs: 7 * 24 * 3_600_000,
    disabledContent: [],
    ...options,
  };
}
