import type { Claims } from './hs256-tokens.ts';
import { verifyToken } from './hs256-tokens.ts';

/**
 * Turns a bearer token into verified claims. Every HTTP and WebSocket surface
 * authenticates through one of these, whatever signs the tokens (the local HS256
 * secret of `parley up`, rotated asymmetric keys, or a company's OIDC issuer).
 */
export interface TokenVerifier {
  /** @throws ParleyError `unauthorized` when the token is malformed, forged, expired or carries invalid claims. */
  verify(token: string): Promise<Claims>;
}

/** A verifier of HS256 tokens signed with a shared secret (the secret's UTF-8 bytes are the key). */
export function hs256Verifier(secret: string): TokenVerifier {
  if (secret.length === 0) throw new RangeError('the token secret must not be empty');
  return { verify: (token) => Promise.resolve().then(() => verifyToken(secret, token)) };
}
