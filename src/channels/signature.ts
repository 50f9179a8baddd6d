import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Headers, Verification } from './provider.ts';

/** An HMAC of `data`, encoded as the provider writes it. */
export function hmac(algorithm: 'sha1' | 'sha256', key: string, data: Uint8Array | string, encoding: 'hex' | 'base64'): string {
  return createHmac(algorithm, key).update(data).digest(encoding);
}

/**
 * Compares a received signature with the expected one in constant time, so that the
 * time taken reveals nothing about how much of a forged signature was right.
 */
export function safeEqual(received: string, expected: string): boolean {
  const a = Buffer.from(received, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  // timingSafeEqual needs equal lengths; the length of a valid signature is public.
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The single value of a header (the first when repeated). */
export function header(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return typeof value === 'string' ? value : value?.[0];
}

/** Checks `expected` against a header, with a reason that names the header but never the secret. */
export function checkSignatureHeader(headers: Headers, name: string, expected: string): Verification {
  const received = header(headers, name);
  if (received === undefined || received === '') return { ok: false, reason: `missing ${name} header` };
  return safeEqual(received.trim(), expected) ? { ok: true } : { ok: false, reason: `${name} does not match the body` };
}
