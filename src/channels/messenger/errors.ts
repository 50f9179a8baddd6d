import { classifyGraphResponse } from '../meta/graph-errors.ts';
import type { ErrorMeaning, ProviderResponse, SendOutcome } from '../provider.ts';

/**
 * Messenger Platform / Instagram send API errors
 * (developers.facebook.com/docs/messenger-platform/error-codes), keyed `code` or `code/subcode`.
 */
export const messengerErrors: Record<string, ErrorMeaning> = {
  '10/2018278': { reason: 'OutsideWindow', retryable: false },
  '10/2018065': { reason: 'OutsideWindow', retryable: false },
  '551': { reason: 'RecipientUnavailable', retryable: false },
  '100/2018001': { reason: 'InvalidRecipient', retryable: false },
  '100/2018109': { reason: 'MediaTypeNotAllowed', retryable: false },
  '100': { reason: 'InvalidParameter', retryable: false },
  '190': { reason: 'AuthenticationFailed', retryable: false },
  '10': { reason: 'PermissionDenied', retryable: false },
  '200': { reason: 'PermissionDenied', retryable: false },
  '2': { reason: 'ProviderUnavailable', retryable: true },
  '4': { reason: 'RateLimited', retryable: true },
  '32': { reason: 'RateLimited', retryable: true },
  '613': { reason: 'RateLimited', retryable: true },
  '1200': { reason: 'ProviderUnavailable', retryable: true },
};

/** Classifies the answer to `POST /<id>/messages` (`{ recipient_id, message_id }` on success). */
export function parseMessengerResponse(response: ProviderResponse, platform: string): SendOutcome {
  return classifyGraphResponse(
    response,
    (body) => (body as { message_id?: string } | undefined)?.message_id,
    (code, subcode) => messengerErrors[`${code}/${subcode}`] ?? messengerErrors[String(code)],
    platform,
  );
}
