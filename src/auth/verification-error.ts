import { decodeProtectedHeader, errors } from 'jose';
import { ParleyError } from '../contract/index.ts';
import { KeySourceError } from './oidc-discovery.ts';

/**
 * Translates a failed `jwtVerify` into Parley's catalog: `unauthorized` with a detail the
 * caller can act on, or `unavailable` when the identity provider's keys could not be
 * fetched (a retry may succeed; the token may well be fine).
 */
export function verificationError(err: unknown, token: string): ParleyError {
  if (err instanceof ParleyError) return err;
  if (err instanceof KeySourceError) return new ParleyError('unavailable', `the identity provider's signing keys are unavailable: ${err.message}`, { cause: err });
  return new ParleyError('unauthorized', detailOf(err, token), { cause: err });
}

function detailOf(err: unknown, token: string): string {
  if (err instanceof errors.JWTExpired) return 'token expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return 'token not yet valid (nbf)';
    if (err.claim === 'aud') return err.reason === 'missing' ? 'invalid claims: "aud" is missing' : "token audience (aud) is not this gateway's";
    if (err.claim === 'iss') return err.reason === 'missing' ? 'invalid claims: "iss" is missing' : 'token issuer (iss) is not the configured issuer';
    return `invalid claims: "${err.claim}" is ${err.reason === 'missing' ? 'missing' : 'invalid'}`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) return `unsupported token algorithm ${JSON.stringify(headerOf(token).alg)}`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof errors.JWKSNoMatchingKey) return `unknown signing key (kid ${JSON.stringify(headerOf(token).kid)})`;
  if (err instanceof errors.JWKSMultipleMatchingKeys) return 'the token names no signing key (kid) and the issuer has several';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'malformed token';
  // Anything else from jose (a key that fails to import, a too-short RSA key) is still the token's problem.
  return `token refused: ${(err as Error).message}`;
}

function headerOf(token: string): { alg?: unknown; kid?: unknown } {
  try {
    return decodeProtectedHeader(token);
  } catch {
    return {};
  }
}
