import { createHmac, timingSafeEqual } from 'node:crypto';
import { ParleyError } from '../contract/index.ts';
import { ClaimsSchema } from './claims.ts';
import type { Claims, Role } from './claims.ts';

/*
 * The synchronous HS256 code from before jose, kept only for callers that cannot await yet
 * (`src/gateway/access.ts`, `parley token`, `parley demo`, tests). Its output is byte for
 * byte what `signLocalToken` (jose) signs, which hs256-tokens.test.ts checks. New code uses
 * `signLocalToken` and `createTokenVerifier`.
 */

const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
const segment = /^[A-Za-z0-9_-]+$/;

/**
 * Signs an HS256 JWT for the gateway.
 * @deprecated use `await signLocalToken(secret, claims, ttlSeconds)`.
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

/**
 * Verifies an HS256 JWT and returns its claims (no clock tolerance, claims under Parley's names).
 * @deprecated use `createTokenVerifier(readAuthSettings()).verify(token)`.
 * @throws ParleyError `unauthorized` when the token is malformed, uses another algorithm,
 *   has a bad signature, carries invalid claims or has expired.
 */
export function verifyToken(secret: string, token: string): Claims {
  requireSecret(secret);
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => segment.test(p))) throw unauthorized('malformed token');
  const [encodedHeader, encodedPayload, signature] = parts as [string, string, string];

  const head = parseJson(encodedHeader);
  // Pinning the algorithm defeats `alg: none` and algorithm-confusion attacks.
  if (!isRecord(head) || head.alg !== 'HS256') throw unauthorized('unsupported token algorithm');

  const expected = Buffer.from(sign(secret, `${encodedHeader}.${encodedPayload}`), 'base64url');
  const actual = Buffer.from(signature, 'base64url');
  // timingSafeEqual throws on a length mismatch; the length itself is no secret.
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) throw unauthorized('bad signature');

  const parsed = ClaimsSchema.safeParse(parseJson(encodedPayload));
  if (!parsed.success) throw unauthorized('invalid claims');
  if (parsed.data.exp <= Math.floor(Date.now() / 1000)) throw unauthorized('token expired');
  return parsed.data;
}

function sign(secret: string, data: string): string {
  return createHmac('sha256', secret).update(data).digest('base64url');
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function parseJson(encoded: string): unknown {
  try {
    return JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch (err) {
    throw unauthorized('malformed token', err);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unauthorized(detail: string, cause?: unknown): ParleyError {
  return new ParleyError('unauthorized', detail, cause === undefined ? undefined : { cause });
}

function requireSecret(secret: string): void {
  // An empty HMAC key would make every token forgeable: a configuration bug, not a 401.
  if (secret.length === 0) throw new RangeError('the token secret must not be empty');
}
