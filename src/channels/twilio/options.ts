import type { RichContentKind } from '../capabilities.ts';

export interface TwilioOptions {
  /** `AC…`: the account whose webhooks these are. */
  readonly accountSid: string;
  /** Signs webhooks (X-Twilio-Signature) and authenticates API calls. */
  readonly authToken: string;
  /** The sending number (E.164), unless `messagingServiceSid` is set. */
  readonly from?: string;
  /** `MG…`: send through a Messaging Service (its sender pool) instead of `from`. */
  readonly messagingServiceSid?: string;
  /**
   * The public URL of the status-callback webhook; each send adds `?parleyMessageId=<id>`
   * so that callbacks name Parley's id. Without it, Twilio sends no status callbacks.
   */
  readonly statusCallbackUrl?: string;
  /** @default "https://api.twilio.com" */
  readonly baseUrl?: string;
  /** @default [] */
  readonly disabledContent?: readonly RichContentKind[];
}

export type ResolvedTwilioOptions = Required<Omit<TwilioOptions, 'from' | 'messagingServiceSid' | 'statusCallbackUrl'>> &
  Pick<TwilioOptions, 'from' | 'messagingServiceSid' | 'statusCallbackUrl'>;

export function resolveTwilioOptions(options: TwilioOptions): ResolvedTwilioOptions {
  if (!options.from && !options.messagingServiceSid) throw new Error('Twilio needs a from number or a messagingServiceSid');
  return { baseUrl: 'https://api.twilio.com', disabledContent: [], ...options };
}
