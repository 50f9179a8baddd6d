import type { ProviderResponse, SendOutcome } from '../provider.ts';
import { jsonOrUndefined, retryAfterMs } from '../retry-after.ts';
import { header } from '../signature.ts';

/**
 * Classifies a Messaging API answer (developers.line.biz/en/reference/messaging-api/#status-codes).
 * A 409 to a push whose retry key was already accepted means it went out the first time.
 * An invalid (expired or used) reply token is retried: the sender drops the token and the
 * next plan pushes instead.
 */
export function parseLineResponse(response: ProviderResponse): SendOutcome {
  const body = jsonOrUndefined(response.body) as { message?: string; sentMessages?: { id?: string }[] } | undefined;
  const requestId = header(response.headers, 'x-line-request-id');
  if (response.status === 200) {
    const id = body?.sentMessages?.[0]?.id ?? requestId;
    return id ? { kind: 'accepted', providerMessageId: id } : { kind: 'retry', reason: 'line answered 200 without an id' };
  }
  if (response.status === 409) {
    const accepted = header(response.headers, 'x-line-accepted-request-id');
    if (accepted) return { kind: 'accepted', providerMessageId: accepted };
  }
  const message = body?.message ?? '';
  const afterMs = retryAfterMs(response.headers);
  const retryAfter = afterMs !== undefined ? { afterMs } : {};
  if (response.status === 400 && /reply token/i.test(message)) return { kind: 'retry', reason: 'InvalidReplyToken (line 400)', afterMs: 0 };
  if (response.status === 429 && /monthly limit/i.test(message)) return { kind: 'failed', reason: 'MonthlyLimitReached (line 429)' };
  if (response.status === 429) return { kind: 'retry', reason: 'RateLimited (line 429)', ...retryAfter };
  if (response.status >= 500) return { kind: 'retry', reason: `ProviderUnavailable (line ${response.status})`, ...retryAfter };
  if (response.status === 401) return { kind: 'failed', reason: 'AuthenticationFailed (line 401)' };
  if (response.status === 403) return { kind: 'failed', reason: 'PermissionDenied (line 403)' };
  return { kind: 'failed', reason: `ProviderRejected (line ${response.status})` };
}
