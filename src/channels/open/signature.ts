import type { Verification, WebhookRequest } from '../provider.ts';
import { checkSignatureHeader, hmac } from '../signature.ts';

/**
 * The open channel signs both ways as Genesys Open Messaging does:
 * `X-Hub-Signature-256: sha256=<base64 HMAC-SHA256(secret, body)>` (note: base64, where
 * Meta uses hex) — developer.genesys.cloud/commdigital/digital/openmessaging/validate.
 */
export function openSignature(secret: string, body: Uint8Array | string): string {
  return `sha256=${hmac('sha256', secret, body, 'base64')}`;
}

export function verifyOpenSignature(request: WebhookRequest, secret: string): Verification {
  return checkSignatureHeader(request.headers, 'x-hub-signature-256', openSignature(secret, request.raw));
}
