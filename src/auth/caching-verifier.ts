import type { Claims } from './claims.ts';
import type { TokenVerifier } from './token-verifier.ts';

/** How long a verified token is trusted without checking its signature again (docs/authentication.md). */
export const VERIFIED_TOKEN_TTL_MS = 60_000;

export interface CachingVerifierOptions {
  /** Tokens remembered at most; the least recently used is forgotten first. @default 10000 */
  maxEntries?: number;
  /** How long a verified token is trusted without checking its signature again. @default 60000 */
  ttlMs?: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Remembers the claims of tokens verified recently. A client sends the same bearer token
 * with every request, and checking its signature (WebCrypto HMAC, RSA or ECDSA) costs more
 * than the rest of a command's path through the gateway; with this, it is checked once a
 * minute. The key is the whole token, signature included, so a forged or altered token
 * never matches an entry. An entry lasts until the token expires or `ttlMs` passes,
 * whichever is first: a key rotated out of the key set stops being honoured within
 * `ttlMs`. Refusals are not remembered.
 */
export function cachingVerifier(inner: TokenVerifier, options: CachingVerifierOptions = {}): TokenVerifier {
  const maxEntries = options.maxEntries ?? 10_000;
  const ttlMs = options.ttlMs ?? VERIFIED_TOKEN_TTL_MS;
  const now = options.now ?? Date.now;
  // A Map iterates in insertion order: re-inserting on a hit keeps the oldest first.
  const entries = new Map<string, { claims: Claims; until: number }>();
  return {
    async verify(token) {
      const at = now();
      const entry = entries.get(token);
      if (entry) {
        entries.delete(token);
        if (entry.until > at) {
          entries.set(token, entry);
          return entry.claims;
        }
      }
      const claims = await inner.verify(token);
      entries.set(token, { claims, until: Math.min(claims.exp * 1000, at + ttlMs) });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
      return claims;
    },
  };
}
