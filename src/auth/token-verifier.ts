import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey, JWTVerifyOptions } from 'jose';
import { ParleyError } from '../contract/index.ts';
import { AuthSettingsError } from './auth-settings.ts';
import { cachingVerifier } from './caching-verifier.ts';
import type { AuthSettings, OidcAuthSettings } from './auth-settings.ts';
import { claimsFrom, defaultClaimMapping } from './claims.ts';
import type { Claims } from './claims.ts';
import { loadKeySet } from './key-files.ts';
import { localKey } from './local-tokens.ts';
import { discoverJwksUrl, KeySourceError } from './oidc-discovery.ts';
import { verificationError } from './verification-error.ts';

/**
 * Turns a bearer token into verified claims. Every HTTP and WebSocket surface
 * authenticates through one of these, whatever signs the tokens (the local HS256
 * secret of `parley up`, rotated asymmetric keys, or a company's OIDC issuer).
 */
export interface TokenVerifier {
  /**
   * @throws ParleyError `unauthorized` when the token is malformed, forged, expired or carries
   *   invalid claims; `unavailable` when the identity provider's keys cannot be fetched.
   */
  verify(token: string): Promise<Claims>;
}

/**
 * The one factory of verifiers, for the mode the settings name. Algorithms are pinned per
 * mode (HS256 for `local`, the configured public-key algorithms otherwise), so `alg: none`
 * and HS/RS confusion are refused before any key is looked at.
 * @throws AuthSettingsError when local mode has no secret or a key file is unusable (read here, at start).
 */
export function createTokenVerifier(settings: AuthSettings): TokenVerifier {
  const options: JWTVerifyOptions = {
    clockTolerance: settings.clockToleranceSeconds,
    requiredClaims: ['exp', 'iat'],
    ...(settings.issuer === undefined ? {} : { issuer: settings.issuer }),
    ...(settings.audience.length === 0 ? {} : { audience: [...settings.audience] }),
  };
  const verified = (verify: (token: string) => Promise<{ payload: JWTPayload }>): TokenVerifier => cachingVerifier({
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await verify(token));
      } catch (err) {
        throw verificationError(err, token);
      }
      return claimsFrom(payload, settings.claims);
    },
  });

  switch (settings.mode) {
    case 'local': {
      if (settings.secret === undefined) throw new AuthSettingsError('PARLEY_AUTH_MODE=local needs PARLEY_AUTH_SECRET');
      // Imported once: given raw bytes, jose would import the key again for every token (10x slower).
      const key = crypto.subtle.importKey('raw', localKey(settings.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
      return verified(async (token) => jwtVerify(token, await key, { ...options, algorithms: ['HS256'] }));
    }
    case 'keys': {
      const keySet = createLocalJWKSet(loadKeySet(settings.keyFiles));
      const keys: JWTVerifyGetKey = (header, token) => {
        // Every configured key has a kid; without one in the token, adding the next key of a
        // rotation would silently change which key is tried.
        if (header.kid === undefined) throw new ParleyError('unauthorized', 'the token names no signing key (kid)');
        return keySet(header, token);
      };
      return verified((token) => jwtVerify(token, keys, { ...options, algorithms: [...settings.algorithms] }));
    }
    case 'oidc': {
      const keys = remoteKeys(settings);
      return verified((token) => jwtVerify(token, keys, { ...options, algorithms: [...settings.algorithms] }));
    }
  }
}

/**
 * A verifier of HS256 tokens signed with a shared secret (the secret's UTF-8 bytes are the
 * key), with Parley's claim names: the shorthand for tests and for a gateway given only a secret.
 * @param clockToleranceSeconds slack on `exp` and `nbf`. @default 0 (a token expires exactly
 *   at `exp`, as with the hand-written verifier; `readAuthSettings` defaults to 30 s)
 */
export function hs256Verifier(secret: string, clockToleranceSeconds = 0): TokenVerifier {
  return createTokenVerifier({
    mode: 'local',
    secret,
    issuer: undefined,
    audience: [],
    clockToleranceSeconds,
    claims: defaultClaimMapping,
  });
}

/**
 * The issuer's keys, found on first use (discovery needs the network, the factory does not)
 * and cached by jose: a token with a `kid` it has not seen refetches the JWKS at most once
 * per cooldown, which is how an issuer's key rotation reaches the gateway.
 */
function remoteKeys(settings: OidcAuthSettings): JWTVerifyGetKey {
  type RemoteKeys = { url: URL; keySet: ReturnType<typeof createRemoteJWKSet> };
  let resolver: Promise<RemoteKeys> | undefined;
  let failedAt: number | undefined;
  const remote = (): Promise<RemoteKeys> => {
    // A failed discovery is retried, but not by every request while the issuer is down.
    if (resolver === undefined || (failedAt !== undefined && Date.now() - failedAt >= settings.jwksCooldownMs)) {
      failedAt = undefined;
      const located = settings.jwksUrl === undefined ? discoverJwksUrl(settings.issuer, settings.jwksTimeoutMs) : Promise.resolve(new URL(settings.jwksUrl));
      const next = located.then((url) => ({
        url,
        keySet: createRemoteJWKSet(url, {
          cacheMaxAge: settings.jwksCacheMaxAgeMs,
          cooldownDuration: settings.jwksCooldownMs,
          timeoutDuration: settings.jwksTimeoutMs,
        }),
      }));
      void next.catch(() => {
        failedAt = Date.now();
      });
      resolver = next;
    }
    return resolver;
  };
  return async (header, token) => {
    const { url, keySet } = await remote();
    try {
      return await keySet(header, token);
    } catch (err) {
      // These say something about the token; anything else is the issuer or the network.
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys || err instanceof errors.JOSENotSupported) throw err;
      throw new KeySourceError(`JWKS ${url.href}: ${(err as Error).message}`, { cause: err });
    }
  };
}
