import { verifyHubHandshake, verifyHubSignature } from '../meta/hub-signature.ts';
import type { ChannelProvider } from '../provider.ts';
import { parseMessengerResponse } from './errors.ts';
import { parseMessengerWebhook } from './inbound.ts';
import type { MessengerOptions } from './options.ts';
import { resolveMessengerOptions } from './options.ts';
import { messengerRequests } from './outbound.ts';

export type { MessengerOptions, MetaPlatform } from './options.ts';
export { messengerErrors, parseMessengerResponse } from './errors.ts';
export { messagingTypeFor, type MessagingType } from './rules.ts';

/** The Messenger or Instagram provider of one Channel (same envelope, same Send API). */
export function messengerProvider(input: MessengerOptions): ChannelProvider & { handshake(query: URLSearchParams): ReturnType<typeof verifyHubHandshake> } {
  const options = resolveMessengerOptions(input);
  return {
    type: options.platform,
    verify: (request) => verifyHubSignature(request, options.appSecret),
    handshake: (query) => verifyHubHandshake(query, options.verifyToken),
    parseWebhook: (request, target) => parseMessengerWebhook(request.raw, target, options),
    toRequests: (message, state) => messengerRequests(message, state, options),
    parseResponse: (response) => parseMessengerResponse(response, options.platform),
  };
}
