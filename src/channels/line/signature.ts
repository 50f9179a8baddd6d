import type { Verification, WebhookRequest } from '../provider.ts';
import { checkSignatureHeader, hmac } from '../signature.ts';

/** `x-line-signature` = base64 HMAC-SHA256(channelSecret, raw body) (developers.line.biz …/verify-webhook-signature). */
export function verifyLineSignature(request: WebhookRequest, channelSecret: string): Verification {
  return checkSignatureHeader(request.headers, 'x-line-signature', hmac('sha256', channelSecret, request.raw, 'base64'));
}
