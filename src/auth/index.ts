/** Who is calling: gateway tokens, how they are signed and how they are verified. */
export { claimsFrom, defaultClaimMapping, Roles } from './claims.ts';
export type { ClaimMapping, Claims, Role } from './claims.ts';
export { AsymmetricAlgorithms, authDefaults, AuthModes, AuthSettingsError, readAuthSettings } from './auth-settings.ts';
export type { AsymmetricAlgorithm, AuthMode, AuthSettings, KeysAuthSettings, LocalAuthSettings, OidcAuthSettings, OidcClientSettings } from './auth-settings.ts';
export { signLocalToken } from './local-tokens.ts';
export type { LocalTokenOptions } from './local-tokens.ts';
export { createTokenVerifier, hs256Verifier } from './token-verifier.ts';
export { cachingVerifier, VERIFIED_TOKEN_TTL_MS } from './caching-verifier.ts';
export type { CachingVerifierOptions } from './caching-verifier.ts';
export type { TokenVerifier } from './token-verifier.ts';
/** A synchronous signer of local tokens for fixtures and benchmarks; production code awaits `signLocalToken`. */
export { signToken } from './hs256-tokens.ts';
export { verificationError } from './verification-error.ts';
