import type { ChannelProvider } from '../provider.ts';
import { verifyHubHandshake, verifyHubSignature } from '../meta/hub-signature.ts';
import { parseWhatsAppResponse } from './errors.ts';
import { parseWhatsAppWebhook } from './inbound.ts';
import type { WhatsAppOptions } from './options.ts';
import { resolveWhatsAppOptions } from './options.ts';
import { whatsAppRequests } from './outbound.ts';

export type { WhatsAppOptions } from './options.ts';
export { resolveWhatsAppOptions } from './options.ts';
export { whatsAppErrors, whatsAppFailureReason, parseWhatsAppResponse } from './errors.ts';
export { whatsAppWindowRefusal, messagingLimitRefusal, type MessagingLimitState } from './rules.ts';
export { whatsAppTemplateRequest, type WhatsAppTemplate } from './outbound.ts';

/** The WhatsApp Cloud API provider of one Channel. */
export function whatsAppProvider(input: WhatsAppOptions): ChannelProvider & { handshake(query: URLSearchParams): ReturnType<typeof verifyHubHandshake> } {
  const options = resolveWhatsAppOptions(input);
  return {
    type: 'whatsapp',
    verify: (request) => verifyHubSignature(request, options.appSecret),
    handshake: (query) => verifyHubHandshake(query, options.verifyToken),
    parseWebhook: (request, target) => parseWhatsAppWebhook(request.raw, target, options),
    toRequests: (message, state) => whatsAppRequests(message, state, options),
    parseResponse: parseWhatsAppResponse,
  };
}
