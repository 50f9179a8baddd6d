import { hkdfSync, randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { ParleyError, TenantName } from '../contract/index.ts';
import { verificationError } from '../auth/index.ts';
import { isOAuthScope, type OAuthScope } from './scopes.ts';

/**
 * Access tokens of the client credentials grant: JWTs in the RFC 9068 profile (header
 * `typ: at+jwt`; claims `iss`, `aud`, `sub` = `client_id`, `tenant`, `scope`, `iat`, `exp`,
 * `jti`), signed HS256 with a key of their own, so a client token is never mistaken for a
 * user's token (whose key is another) and the reverse.
 */

export const ACCESS_TOKEN_ISSUER = 'parley';
export const ACCESS_TOKEN_AUDIENCE = 'parley-integrations';
const TYPE = 'at+jwt';

/** The HMAC key of client access tokens. */
export interface AccessTokenKey {
  readonly bytes: Uint8Array;
}

/**
 * The key, derived (HKDF-SHA256) from a secret every gateway of the cluster shares: the
 * local mode's `PARLEY_AUTH_SECRET`, or `PARLEY_OAUTH_SECRET` in any mode. Derived rather
 * than the secret itself, so that the same secret never verifies both kinds of token.
 */
export function accessTokenKey(secret: string): AccessTokenKey {
  if (secret.length < 16) throw new RangeError('the OAuth signing secret must be at least 16 characters');
  return { bytes: new Uint8Array(hkdfSync('sha256', secret, 'parley', 'parley oauth access tokens v1', 32)) };
}

/** What a verified access token says. */
export interface ClientClaims {
  clientId: string;
  tenant: string;
  scopes: OAuthScope[];
  /** Expiry, seconds since the epoch. */
  exp: number;
}

export async function signAccessToken(key: AccessTokenKey, claims: Omit<ClientClaims, 'exp'>, ttlSeconds: number, now = new Date()): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({ client_id: claims.clientId, tenant: claims.tenant, scope: claims.scopes.join(' ') })
    .setProtectedHeader({ alg: 'HS256', typ: TYPE })
    .setIssuer(ACCESS_TOKEN_ISSUER)
    .setAudience(ACCESS_TOKEN_AUDIENCE)
    .setSubject(claims.clientId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .setJti(randomUUID())
    .sign(key.bytes);
}

/**
 * @throws ParleyError `unauthorized` (expired, forged, another kind of token, bad claims).
 * @param clockToleranceSeconds slack on `exp`. @default 0
 */
export async function verifyAccessToken(key: AccessTokenKey, token: string, clockToleranceSeconds = 0): Promise<ClientClaims> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key.bytes, {
      algorithms: ['HS256'],
      typ: TYPE,
      issuer: ACCESS_TOKEN_ISSUER,
      audience: ACCESS_TOKEN_AUDIENCE,
      requiredClaims: ['exp', 'iat', 'sub'],
      clockTolerance: clockToleranceSeconds,
    }));
  } catch (err) {
    throw verificationError(err, token);
  }
  const tenant = TenantName.safeParse(payload.tenant);
  if (!tenant.success || typeof payload.sub !== 'string' || typeof payload.scope !== 'string') {
    throw new ParleyError('unauthorized', 'invalid claims: an access token needs sub, tenant and scope');
  }
  return { clientId: payload.sub, tenant: tenant.data, scopes: payload.scope.split(' ').filter(isOAuthScope), exp: payload.exp as number };
}
