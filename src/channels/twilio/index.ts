import type { ChannelProvider } from '../provider.ts';
import { parseTwilioResponse } from './errors.ts';
import { parseTwilioWebhook } from './inbound.ts';
import type { TwilioOptions } from './options.ts';
import { resolveTwilioOptions } from './options.ts';
import { twilioRequests } from './outbound.ts';
import { verifyTwilioSignature } from './signature.ts';

export type { TwilioOptions } from './options.ts';
export { twilioErrors, twilioFailureReason, parseTwilioResponse } from './errors.ts';
export { twilioSignedString, verifyTwilioSignature } from './signature.ts';

/** The Twilio SMS/MMS provider of one Channel (type `sms`). */
export function twilioProvider(input: TwilioOptions): ChannelProvider {
  const options = resolveTwilioOptions(input);
  return {
    type: 'sms',
    verify: (request) => verifyTwilioSignature(request, options.authToken),
    parseWebhook: (request, target) => parseTwilioWebhook(request, target, options),
    toRequests: (message, state) => twilioRequests(message, state, options),
    parseResponse: parseTwilioResponse,
  };
}
