import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * RFC 8058 one-click unsubscribe links: `<public URL>/v1/unsubscribe/<token>`, where the
 * token names the tenant, the address and the campaign and is signed (HMAC-SHA256) with a
 * key every campaign runner and gateway derive from one shared secret. Synchronous, so a
 * campaign batch signs thousands without awaiting; no expiry, since a recipient may click
 * a months-old e-mail and must still be able to leave.
 */

/** What a link says. `a` is the normalized address (E.164 or lower-cased e-mail). */
export interface UnsubscribeClaims {
  tenant: string;
  address: string;
  campaign: string;
}

/** The route a link points to (the gateway serves it without login). */
export const UNSUBSCRIBE_PATH = '/v1/unsubscribe';

export interface UnsubscribeKey {
  readonly bytes: Buffer;
}

/** The HMAC key, derived (HKDF-SHA256) so the secret never signs anything else directly. */
export function unsubscribeKey(secret: string): UnsubscribeKey {
  if (secret.length < 16) throw new RangeError('the unsubscribe signing secret must be at least 16 characters');
  return { bytes: Buffer.from(hkdfSync('sha256', secret, 'parley', 'parley unsubscribe links v1', 32)) };
}

const mac = (key: UnsubscribeKey, body: string) => createHmac('sha256', key.bytes).update(body).digest();

export function signUnsubscribeToken(key: UnsubscribeKey, claims: UnsubscribeClaims): string {
  const body = Buffer.from(JSON.stringify({ v: 1, t: claims.tenant, a: claims.address, c: claims.campaign })).toString('base64url');
  return `${body}.${mac(key, body).toString('base64url')}`;
}

/** The claims of a genuine token; undefined for anything forged, altered or malformed. */
export function verifyUnsubscribeToken(key: UnsubscribeKey, token: string): UnsubscribeClaims | undefined {
  const dot = token.indexOf('.');
  if (dot < 1 || token.length > 2048) return undefined;
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = mac(key, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
    const { v, t, a, c } = parsed;
    if (v !== 1 || typeof t !== 'string' || typeof a !== 'string' || typeof c !== 'string') return undefined;
    return { tenant: t, address: a, campaign: c };
  } catch {
    return undefined;
  }
}

/** Builds the links of one deployment: the gateway's public URL and the shared key. */
export function unsubscribeLinks(publicUrl: string, secret: string): (claims: UnsubscribeClaims) => string {
  const key = unsubscribeKey(secret);
  const base = publicUrl.replace(/\/+$/, '');
  return (claims) => `${base}${UNSUBSCRIBE_PATH}/${signUnsubscribeToken(key, claims)}`;
}
