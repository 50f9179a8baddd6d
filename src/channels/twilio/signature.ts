import { createHash } from 'node:crypto';
import type { Verification, WebhookRequest } from '../provider.ts';
import { header, hmac, safeEqual } from '../signature.ts';

/** The form parameters of a webhook body. */
export function formParams(raw: Uint8Array): URLSearchParams {
  return new URLSearchParams(Buffer.from(raw).toString('utf8'));
}

/**
 * The string Twilio signs: the full URL, then each parameter name followed by its value,
 * names sorted (repeated names: each value, sorted) — twilio.com/docs/usage/webhooks/webhooks-security.
 */
export function twilioSignedString(url: string, params: URLSearchParams | undefined): string {
  if (!params) return url;
  const names = [...new Set(params.keys())].sort();
  return names.reduce((acc, name) => acc + params.getAll(name).sort().map((v) => name + v).join(''), url);
}

/** Twilio may sign the URL with or without the default port; try both, as its own libraries do. */
function urlVariants(url: string): string[] {
  const parsed = new URL(url);
  const defaultPort = parsed.protocol === 'https:' ? '443' : '80';
  const without = new URL(url);
  without.port = '';
  const withPort = `${parsed.protocol}//${parsed.username ? `${parsed.username}:${parsed.password}@` : ''}${parsed.hostname}:${parsed.port || defaultPort}${parsed.pathname}${parsed.search}`;
  return [...new Set([url, without.toString(), withPort])];
}

/**
 * `X-Twilio-Signature`: base64 HMAC-SHA1(authToken, URL + sorted parameters). A JSON body
 * is instead covered by the `bodySHA256` query parameter (hex SHA-256 of the body), which
 * the signed URL includes.
 */
export function verifyTwilioSignature(request: WebhookRequest, authToken: string): Verification {
  const received = header(request.headers, 'x-twilio-signature');
  if (!received) return { ok: false, reason: 'missing x-twilio-signature header' };
  if (!URL.canParse(request.url)) return { ok: false, reason: 'the request URL is not absolute' };
  const bodySha = new URL(request.url).searchParams.get('bodySHA256');
  let params: URLSearchParams | undefined;
  if (bodySha !== null) {
    if (!safeEqual(bodySha.toLowerCase(), createHash('sha256').update(request.raw).digest('hex'))) return { ok: false, reason: 'bodySHA256 does not match the body' };
  } else {
    params = formParams(request.raw);
  }
  const matches = urlVariants(request.url).some((url) => safeEqual(received, hmac('sha1', authToken, twilioSignedString(url, params), 'base64')));
  return matches ? { ok: true } : { ok: false, reason: 'x-twilio-signature does not match the request' };
}
