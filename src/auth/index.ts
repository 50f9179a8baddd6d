/** Who is calling: gateway tokens, how they are signed and how they are verified. */
export { Roles, signToken, verifyToken } from './hs256-tokens.ts';
export type { Claims, Role } from './hs256-tokens.ts';
export { hs256Verifier } from './token-verifier.ts';
export type { TokenVerifier } from './token-verifier.ts';
