import { classifyGraphResponse } from '../meta/graph-errors.ts';
import type { ErrorMeaning, ProviderResponse, SendOutcome } from '../provider.ts';

/**
 * WhatsApp Cloud API error codes (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes),
 * with the receipt reason they become. Reasons follow Genesys' WhatsApp failure reasons
 * where one fits (RateLimited, MessageExpired, RecipientOptedOut, MediaTypeNotAllowed).
 */
export const whatsAppErrors: Record<number, ErrorMeaning> = {
  // Throughput and spam limits: the same message can go later.
  4: { reason: 'RateLimited', retryable: true },
  80007: { reason: 'RateLimited', retryable: true },
  130429: { reason: 'RateLimited', retryable: true },
  131056: { reason: 'RateLimited', retryable: true },
  131000: { reason: 'ProviderError', retryable: true },
  131016: { reason: 'ProviderUnavailable', retryable: true },
  // Permanent until something changes (the customer writes, the config is fixed…).
  131047: { reason: 'OutsideWindow', retryable: false },
  131026: { reason: 'RecipientUnreachable', retryable: false },
  131050: { reason: 'RecipientOptedOut', retryable: false },
  131049: { reason: 'MarketingLimitReached', retryable: false },
  131048: { reason: 'SpamRateLimited', retryable: false },
  131051: { reason: 'MediaTypeNotAllowed', retryable: false },
  131052: { reason: 'MediaDownloadFailed', retryable: false },
  131053: { reason: 'MediaUploadFailed', retryable: false },
  131021: { reason: 'InvalidRecipient', retryable: false },
  131009: { reason: 'InvalidParameter', retryable: false },
  131008: { reason: 'MissingParameter', retryable: false },
  100: { reason: 'InvalidParameter', retryable: false },
  132000: { reason: 'TemplateParameterMismatch', retryable: false },
  132001: { reason: 'TemplateNotFound', retryable: false },
  132015: { reason: 'TemplatePaused', retryable: false },
  133010: { reason: 'SenderNotRegistered', retryable: false },
  368: { reason: 'SenderBlocked', retryable: false },
  190: { reason: 'AuthenticationFailed', retryable: false },
  10: { reason: 'PermissionDenied', retryable: false },
  200: { reason: 'PermissionDenied', retryable: false },
  // WhatsApp only says "expired" in statuses (131047 is also reported there; 131053 etc. as above).
  135000: { reason: 'ProviderError', retryable: false },
};

/** The receipt reason of a failed status's `errors[0].code`. */
export function whatsAppFailureReason(code: number): string {
  return `${whatsAppErrors[code]?.reason ?? 'Failed'} (whatsapp ${code})`;
}

/** Classifies the answer to `POST /<phone-number-id>/messages`. */
export function parseWhatsAppResponse(response: ProviderResponse): SendOutcome {
  return classifyGraphResponse(
    response,
    (body) => (body as { messages?: { id?: string }[] } | undefined)?.messages?.[0]?.id,
    (code) => whatsAppErrors[code],
    'whatsapp',
  );
}
