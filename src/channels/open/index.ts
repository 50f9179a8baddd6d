import type { ChannelProvider, ProviderResponse, SendOutcome } from '../provider.ts';
import { jsonOrUndefined, retryAfterMs } from '../retry-after.ts';
import { parseOpenWebhook } from './inbound.ts';
import type { OpenOptions } from './options.ts';
import { resolveOpenOptions } from './options.ts';
import { openRequests } from './outbound.ts';
import { openSignature, verifyOpenSignature } from './signature.ts';

export type { OpenOptions } from './options.ts';
export { openSignature } from './signature.ts';
export { parseOpenWebhook } from './inbound.ts';

/** A gateway's answer to our post: 2xx accepted (with the gateway's `id` if it answers one), 429 and 5xx retried, else failed. */
export function parseOpenResponse(response: ProviderResponse): SendOutcome {
  if (response.status >= 200 && response.status < 300) {
    const id = (jsonOrUndefined(response.body) as { id?: unknown } | undefined)?.id;
    return typeof id === 'string' && id ? { kind: 'accepted', providerMessageId: id } : { kind: 'accepted' };
  }
  const afterMs = retryAfterMs(response.headers);
  const retryAfter = afterMs !== undefined ? { afterMs } : {};
  if (response.status === 429) return { kind: 'retry', reason: 'RateLimited (HTTP 429)', ...retryAfter };
  if (response.status >= 500) return { kind: 'retry', reason: `ProviderUnavailable (HTTP ${response.status})`, ...retryAfter };
  return { kind: 'failed', reason: `ProviderRejected (HTTP ${response.status})` };
}

/** The open channel (type `open`): any gateway speaking the Genesys Open Messaging shape over signed HTTP. */
export function openProvider(input: OpenOptions): ChannelProvider & { sign(body: string): string } {
  const options = resolveOpenOptions(input);
  return {
    type: 'open',
    verify: (request) => verifyOpenSignature(request, options.secret),
    sign: (body) => openSignature(options.secret, body),
    parseWebhook: (request, target) => parseOpenWebhook(request.raw, target),
    toRequests: (message, state) => openRequests(message, state, options),
    parseResponse: parseOpenResponse,
  };
}
