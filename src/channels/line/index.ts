import type { ChannelProvider } from '../provider.ts';
import { parseLineResponse } from './errors.ts';
import { parseLineWebhook } from './inbound.ts';
import type { LineOptions } from './options.ts';
import { resolveLineOptions } from './options.ts';
import { lineRequests } from './outbound.ts';
import { verifyLineSignature } from './signature.ts';

export type { LineOptions } from './options.ts';
export { parseLineResponse } from './errors.ts';
export { replyTokenUsable, retryKey } from './outbound.ts';

/** The LINE Messaging API provider of one Channel. */
export function lineProvider(input: LineOptions): ChannelProvider {
  const options = resolveLineOptions(input);
  return {
    type: 'line',
    verify: (request) => verifyLineSignature(request, options.channelSecret),
    parseWebhook: (request, target) => parseLineWebhook(request.raw, target, options),
    toRequests: (message, state) => lineRequests(message, state, options),
    parseResponse: parseLineResponse,
  };
}
