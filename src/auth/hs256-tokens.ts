import { createHmac } from 'node:crypto';
import type { Claims, Role } from './claims.ts';

/*
 * A synchronous HS256 signer for test fixtures and benchmarks, which build many tokens
 * inside synchronous code. Its output is byte for byte what `signLocalToken` (jose) signs,
 * which hs256-tokens.test.ts checks; every token is verified by jose
 * (`createTokenVerifier`), never by hand-written code.
 */

const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/**
 * Signs an HS256 JWT for the gateway.
 * @param ttlSeconds lifetime of the token. @default 28800 (8 hours)
 */
export function signToken(
  secret: string,
  claims: { sub: string; tenant: string; role: Role },
  ttlSeconds = 8 * 3600,
): string {
  requireSecret(secret);
  const iat = Math.floor(Date.now() / 1000);
  const payload: Claims = { sub: claims.sub, tenant: claims.tenant, role: claims.role, iat, exp: iat + ttlSeconds };
  const body = `${header}.${base64url(JSON.stringify(payload))}`;
  return `${body}.${sign(secret, body)}`;
}

function sign(secret: string, data: string): string {
  return createHmac('sha256', secret).update(data).digest('base64url');
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function requireSecret(secret: string): void {
  // An empty HMAC key would make every token forgeable: a configuration bug, not a 401.
  if (secret.length === 0) throw new RangeError('the token secret must not be empty');
}
