import type { Verification, WebhookRequest } from '../provider.ts';
import { checkSignatureHeader, hmac } from '../signature.ts';

/** `x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256(consumerSecret, raw body)>` (docs.x.com/x-api/webhooks/introduction). */
export function verifyXSignature(request: WebhookRequest, consumerSecret: string): Verification {
  return checkSignatureHeader(request.headers, 'x-twitter-webhooks-signature', `sha256=${hmac('sha256', consumerSecret, request.raw, 'base64')}`);
}

/**
 * The answer to X's challenge-response check (a GET with `crc_token`), which X repeats
 * to keep the webhook valid: `{ response_token: "sha256=" + base64 HMAC-SHA256(consumerSecret, crc_token) }`.
 */
export function xCrcResponse(crcToken: string, consumerSecret: string): { response_token: string } {
  return { response_token: `sha256=${hmac('sha256', consumerSecret, crcToken, 'base64')}` };
}
