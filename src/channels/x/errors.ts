import type { ErrorMeaning, ProviderResponse, SendOutcome } from '../provider.ts';
import { jsonOrUndefined, retryAfterMs } from '../retry-after.ts';
import { header } from '../signature.ts';

/** X API v1.1 error codes (developer.x.com/en/support/x-api/error-troubleshooting). */
export const xErrors: Record<number, ErrorMeaning> = {
  88: { reason: 'RateLimited', retryable: true },
  130: { reason: 'ProviderUnavailable', retryable: true },
  131: { reason: 'ProviderError', retryable: true },
  151: { reason: 'ProviderError', retryable: true },
  150: { reason: 'RecipientUnavailable', retryable: false },
  349: { reason: 'RecipientUnavailable', retryable: false },
  226: { reason: 'SpamRateLimited', retryable: false },
  326: { reason: 'SenderLocked', retryable: false },
  32: { reason: 'AuthenticationFailed', retryable: false },
  89: { reason: 'AuthenticationFailed', retryable: false },
  215: { reason: 'AuthenticationFailed', retryable: false },
  214: { reason: 'InvalidRequest', retryable: false },
};

/** When a rate limit resets: `x-rate-limit-reset` (epoch seconds) against the answer's `date`. */
function resetAfterMs(response: ProviderResponse): number | undefined {
  const reset = Number(header(response.headers, 'x-rate-limit-reset'));
  const date = Date.parse(header(response.headers, 'date') ?? '');
  return Number.isFinite(reset) && reset > 0 && !Number.isNaN(date) ? Math.max(0, reset * 1000 - date) : undefined;
}

/** Classifies the answer to `direct_messages/events/new` (`{ event: { id } }` on success). */
export function parseXResponse(response: ProviderResponse): SendOutcome {
  const body = jsonOrUndefined(response.body) as { event?: { id?: string }; errors?: { code?: number }[] } | undefined;
  if (response.status >= 200 && response.status < 300) {
    const id = body?.event?.id;
    return id ? { kind: 'accepted', providerMessageId: id } : { kind: 'retry', reason: `x answered ${response.status} without an event id` };
  }
  const code = body?.errors?.[0]?.code;
  const known = code === undefined ? undefined : xErrors[code];
  const label = code === undefined ? `HTTP ${response.status}` : `x ${code}`;
  const afterMs = retryAfterMs(response.headers) ?? resetAfterMs(response);
  const retryAfter = afterMs !== undefined ? { afterMs } : {};
  if (known) return known.retryable ? { kind: 'retry', reason: `${known.reason} (${label})`, ...retryAfter } : { kind: 'failed', reason: `${known.reason} (${label})` };
  if (response.status === 429) return { kind: 'retry', reason: `RateLimited (${label})`, ...retryAfter };
  if (response.status >= 500) return { kind: 'retry', reason: `ProviderUnavailable (${label})`, ...retryAfter };
  return { kind: 'failed', reason: `ProviderRejected (${label})` };
}
