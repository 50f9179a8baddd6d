import type { ErrorMeaning, ProviderResponse, SendOutcome } from '../provider.ts';
import { jsonOrUndefined, retryAfterMs } from '../retry-after.ts';

/**
 * Twilio error codes (twilio.com/docs/api/errors) — REST answers and status callbacks'
 * `ErrorCode` — with the receipt reason they become.
 */
export const twilioErrors: Record<number, ErrorMeaning> = {
  20429: { reason: 'RateLimited', retryable: true },
  30001: { reason: 'QueueOverflow', retryable: true },
  20003: { reason: 'AuthenticationFailed', retryable: false },
  21610: { reason: 'RecipientOptedOut', retryable: false },
  21211: { reason: 'InvalidRecipient', retryable: false },
  21614: { reason: 'InvalidRecipient', retryable: false },
  21612: { reason: 'RouteUnavailable', retryable: false },
  21408: { reason: 'RegionNotEnabled', retryable: false },
  21606: { reason: 'SenderInvalid', retryable: false },
  21659: { reason: 'SenderInvalid', retryable: false },
  21617: { reason: 'MessageTooLong', retryable: false },
  30002: { reason: 'AccountSuspended', retryable: false },
  30003: { reason: 'RecipientUnreachable', retryable: false },
  30004: { reason: 'RecipientBlocked', retryable: false },
  30005: { reason: 'UnknownRecipient', retryable: false },
  30006: { reason: 'Landline', retryable: false },
  30007: { reason: 'CarrierFiltered', retryable: false },
  30008: { reason: 'DeliveryFailed', retryable: false },
  30034: { reason: 'SenderNotRegistered', retryable: false },
};

/** The receipt reason of a status callback's `ErrorCode` (or of a failure without one). */
export function twilioFailureReason(code: string | null): string {
  const n = Number(code);
  return code && Number.isInteger(n) ? `${twilioErrors[n]?.reason ?? 'DeliveryFailed'} (twilio ${n})` : 'DeliveryFailed';
}

/** Classifies the answer to `POST /2010-04-01/Accounts/<sid>/Messages.json`. */
export function parseTwilioResponse(response: ProviderResponse): SendOutcome {
  const body = jsonOrUndefined(response.body) as { sid?: string; code?: number } | undefined;
  if (response.status >= 200 && response.status < 300) {
    return body?.sid ? { kind: 'accepted', providerMessageId: body.sid } : { kind: 'retry', reason: `twilio answered ${response.status} without a sid` };
  }
  const afterMs = retryAfterMs(response.headers);
  const retryAfter = afterMs !== undefined ? { afterMs } : {};
  const code = body?.code;
  const known = code === undefined ? undefined : twilioErrors[code];
  const label = code === undefined ? `HTTP ${response.status}` : `twilio ${code}`;
  if (known) return known.retryable ? { kind: 'retry', reason: `${known.reason} (${label})`, ...retryAfter } : { kind: 'failed', reason: `${known.reason} (${label})` };
  if (response.status === 429) return { kind: 'retry', reason: `RateLimited (${label})`, ...retryAfter };
  if (response.status >= 500) return { kind: 'retry', reason: `ProviderUnavailable (${label})`, ...retryAfter };
  return { kind: 'failed', reason: `ProviderRejected (${label})` };
}
