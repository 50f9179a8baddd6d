import type { FastifyRequest } from 'fastify';
import type { Claims, TokenVerifier } from '../auth/index.ts';
import { authenticate, tokenOf } from './access.ts';

/**
 * How a route authenticates: `none` (health), `bearer` (the API), `bearerOrQuery` (the
 * events WebSocket, where browsers can only pass the token in the query).
 */
export type AuthMode = 'none' | 'bearer' | 'bearerOrQuery';

/** The verified claims of the caller, or why there are none. */
export type Caller = { claims: Claims } | { error: unknown };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** @default 'none' */
    auth?: AuthMode;
  }
  interface FastifyRequest {
    /** Set on routes that authenticate, before the rate limit counts the request. */
    caller: Caller | undefined;
  }
}

/**
 * `onRequest`: verifies the token once, before the rate limit (which keys on it) and
 * before the body is read. It does not refuse anyone yet: a caller with a bad token is
 * still counted against its IP address first (see {@link requireAuthenticated}).
 */
export function identifyCaller(verifier: TokenVerifier) {
  return async (request: FastifyRequest): Promise<void> => {
    const mode = request.routeOptions.config.auth ?? 'none';
    if (mode === 'none') return;
    try {
      request.caller = { claims: await authenticate(verifier, tokenOf(request.headers, request.query, mode === 'bearerOrQuery')) };
    } catch (error) {
      request.caller = { error };
    }
  };
}

/** `preParsing`: refuses an unauthenticated caller before its body is read. */
export function requireAuthenticated(request: FastifyRequest, _reply: unknown, _payload: unknown, done: (err?: Error) => void): void {
  const { caller } = request;
  done(caller !== undefined && 'error' in caller ? (caller.error as Error) : undefined);
}

/** The verified claims; only reachable on a route that authenticates. */
export function claimsOf(request: FastifyRequest): Claims {
  const { caller } = request;
  if (caller === undefined || !('claims' in caller)) throw new Error(`route ${request.routeOptions.url ?? ''} does not authenticate`);
  return caller.claims;
}

/** The rate limit's key: the token's `tenant/sub` when it is valid, else the client's IP address. */
export function rateLimitKey(request: FastifyRequest): string {
  const { caller } = request;
  return caller !== undefined && 'claims' in caller ? `token:${caller.claims.tenant}/${caller.claims.sub}` : `ip:${request.ip}`;
}
