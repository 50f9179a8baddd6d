import type { ChannelProvider } from '../provider.ts';
import { parseXResponse } from './errors.ts';
import { parseXWebhook } from './inbound.ts';
import type { XOptions } from './options.ts';
import { resolveXOptions } from './options.ts';
import { xRequests } from './outbound.ts';
import { verifyXSignature, xCrcResponse } from './signature.ts';

export type { XOptions } from './options.ts';
export { xErrors, parseXResponse } from './errors.ts';
export { xReplyRefusal, xMaxRepliesPerInbound } from './rules.ts';
export { xCrcResponse } from './signature.ts';
export { oauth1Header, type OAuth1Credentials } from './oauth1.ts';

/** The X DM (Account Activity API) provider of one Channel. */
export function xProvider(input: XOptions): ChannelProvider & { crc(crcToken: string): { response_token: string } } {
  const options = resolveXOptions(input);
  return {
    type: 'x',
    verify: (request) => verifyXSignature(request, options.consumerSecret),
    crc: (crcToken) => xCrcResponse(crcToken, options.consumerSecret),
    parseWebhook: (request, target) => parseXWebhook(request.raw, target, options),
    toRequests: (message, state) => xRequests(message, state, options),
    parseResponse: parseXResponse,
  };
}
