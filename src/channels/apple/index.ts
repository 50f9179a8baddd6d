import type { ChannelProvider, ProviderResponse, SendOutcome } from '../provider.ts';
import { retryAfterMs } from '../retry-after.ts';
import { parseAppleWebhook } from './inbound.ts';
import type { AppleOptions } from './options.ts';
import { resolveAppleOptions } from './options.ts';
import { appleRequests } from './outbound.ts';
import { verifyAppleRequest } from './signature.ts';

export type { AppleOptions } from './options.ts';

/** Apple's gateway answers 200 with no id; 429/5xx are retried; 400 (bad payload), 401, 403, 404 (unknown customer) fail. */
export function parseAppleResponse(response: ProviderResponse): SendOutcome {
  if (response.status >= 200 && response.status < 300) return { kind: 'accepted' };
  const afterMs = retryAfterMs(response.headers);
  const retryAfter = afterMs !== undefined ? { afterMs } : {};
  if (response.status === 429) return { kind: 'retry', reason: 'RateLimited (apple 429)', ...retryAfter };
  if (response.status >= 500) return { kind: 'retry', reason: `ProviderUnavailable (apple ${response.status})`, ...retryAfter };
  if (response.status === 401 || response.status === 403) return { kind: 'failed', reason: `AuthenticationFailed (apple ${response.status})` };
  if (response.status === 404) return { kind: 'failed', reason: 'RecipientUnavailable (apple 404)' };
  return { kind: 'failed', reason: `ProviderRejected (apple ${response.status})` };
}

/** Apple Messages for Business, as the messaging service provider (type `apple`). */
export function appleProvider(input: AppleOptions): ChannelProvider {
  const options = resolveAppleOptions(input);
  return {
    type: 'apple',
    verify: (request) => verifyAppleRequest(request, options),
    parseWebhook: (request, target) => parseAppleWebhook(request.raw, target),
    toRequests: (message, state) => appleRequests(message, state, options),
    parseResponse: parseAppleResponse,
  };
}
