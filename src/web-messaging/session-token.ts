import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { z } from 'zod';
import { ResourceName, TenantName } from '../contract/index.ts';
import { WebProblem } from './problems.ts';

const ISSUER = 'parley';
const AUDIENCE = 'parley-web-session';

/** An anonymous customer's id: 128 random bits, base64url (also a safe NATS subject token). */
export const CustomerId = z.string().regex(/^[A-Za-z0-9_-]{22}$/);

/** Who a session token speaks for: one anonymous customer of one web Channel. */
export interface WebSession {
  tenant: string;
  channel: string;
  customerId: string;
  /** When the token expires (seconds since the epoch). */
  exp: number;
}

const SessionClaims = z.object({ tenant: TenantName, channel: ResourceName, sub: CustomerId, exp: z.number() });

export function newCustomerId(): string {
  return randomBytes(16).toString('base64url');
}

/** Signs a session token (HS256, jose). */
export async function signSession(secret: Uint8Array, session: Omit<WebSession, 'exp'>, ttlSeconds: number): Promise<{ token: string; expiresAt: Date }> {
  const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
  const token = await new SignJWT({ tenant: session.tenant, channel: session.channel })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(session.customerId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(secret);
  return { token, expiresAt: new Date(exp * 1000) };
}

/** Verifies a session token; any fault (signature, expiry, audience, claims) is a 401. */
export async function verifySession(secret: Uint8Array, token: string | undefined): Promise<WebSession> {
  if (!token) throw new WebProblem('unauthorized', 'no session token');
  try {
    const { payload } = await jwtVerify(token, secret, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
    const claims = SessionClaims.parse(payload);
    return { tenant: claims.tenant, channel: claims.channel, customerId: claims.sub, exp: claims.exp };
  } catch (err) {
    throw new WebProblem('unauthorized', undefined, { cause: err });
  }
}

/** The token of an `Authorization: Bearer …` header. */
export function bearerOf(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}
