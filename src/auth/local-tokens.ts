import { SignJWT } from 'jose';
import type { Role } from './claims.ts';

/** Optional registered claims for a local token, when the gateway checks them (`PARLEY_AUTH_ISSUER`, `PARLEY_AUTH_AUDIENCE`). */
export interface LocalTokenOptions {
  /** `iss`. @default undefined (none) */
  issuer?: string;
  /** `aud`. @default undefined (none) */
  audience?: string | string[];
}

/**
 * Signs an HS256 JWT for the gateway's local mode (`parley up`, `parley token`).
 * @param secret the shared secret; its UTF-8 bytes are the key (it is not base64-decoded).
 * @param ttlSeconds lifetime of the token. @default 28800 (8 hours)
 */
export async function signLocalToken(
  secret: string,
  claims: { sub: string; tenant: string; role: Role },
  ttlSeconds = 8 * 3600,
  options: LocalTokenOptions = {},
): Promise<string> {
  const key = localKey(secret);
  const iat = Math.floor(Date.now() / 1000);
  // Claim order sub, tenant, role, iat, exp: the same bytes as the synchronous `signToken`.
  const jwt = new SignJWT({ sub: claims.sub, tenant: claims.tenant, role: claims.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds);
  if (options.issuer !== undefined) jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt.setAudience(options.audience);
  return jwt.sign(key);
}

/**
 * The HMAC key of a local secret: its UTF-8 bytes, as every JWT library does with a
 * string secret. A base64-looking secret is *not* decoded.
 * @throws RangeError for an empty secret: every token would be forgeable, a configuration bug rather than a 401.
 */
export function localKey(secret: string): Uint8Array {
  if (secret.length === 0) throw new RangeError('the token secret must not be empty');
  return new TextEncoder().encode(secret);
}
