import type { Verification, WebhookRequest } from '../provider.ts';
import { checkSignatureHeader, hmac, safeEqual } from '../signature.ts';

/**
 * Meta's webhook signature (WhatsApp, Messenger, Instagram): `X-Hub-Signature-256:
 * sha256=<hex HMAC-SHA256(appSecret, raw body)>`.
 */
export function verifyHubSignature(request: WebhookRequest, appSecret: string): Verification {
  return checkSignatureHeader(request.headers, 'x-hub-signature-256', `sha256=${hmac('sha256', appSecret, request.raw, 'hex')}`);
}

export type HandshakeResult = { ok: true; challenge: string } | { ok: false; reason: string };

/**
 * Meta's GET verification: answer `hub.challenge` (as the 200 body) when `hub.mode` is
 * `subscribe` and `hub.verify_token` is the token configured on both sides; 403 otherwise.
 */
export function verifyHubHandshake(query: URLSearchParams, verifyToken: string): HandshakeResult {
  if (query.get('hub.mode') !== 'subscribe') return { ok: false, reason: 'hub.mode is not subscribe' };
  const challenge = query.get('hub.challenge');
  if (!challenge) return { ok: false, reason: 'missing hub.challenge' };
  if (!safeEqual(query.get('hub.verify_token') ?? '', verifyToken)) return { ok: false, reason: 'hub.verify_token does not match' };
  return { ok: true, challenge };
}
