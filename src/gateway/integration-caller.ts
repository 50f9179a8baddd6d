import type { FastifyRequest } from 'fastify';
import { decodeProtectedHeader } from 'jose';
import type { Kysely } from 'kysely';
import { ParleyError } from '../contract/index.ts';
import type { Claims, TokenVerifier } from '../auth/index.ts';
import { activeOAuthClient, verifyAccessToken, type ClientClaims, type OAuthScope } from '../oauth/index.ts';
import type { Database } from '../store/index.ts';
import { authenticate, isStaff, tokenOf } from './access.ts';
import { HttpProblem } from './http-errors.ts';
import type { ResolvedIntegrations } from './integration-options.ts';

/** Who calls an integration route: an OAuth client (access token) or a person (the gateway's usual token). */
export type IntegrationCaller = { kind: 'client'; client: ClientClaims } | { kind: 'user'; claims: Claims };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on integration routes by {@link identifyIntegrationCaller}. */
    integration: IntegrationCaller | undefined;
  }
}

/**
 * `onRequest` of the integration routes: an RFC 9068 access token (`typ: at+jwt`) is
 * verified with the OAuth key and its client must still exist unrevoked in the token's
 * tenant (so revoking a client stops its tokens at once); any other token goes to the
 * gateway's verifier (local, keys or OIDC). A failure is left in `request.caller`, which
 * the gateway's `preParsing` hook answers with 401 before reading the body.
 */
export function identifyIntegrationCaller(verifier: TokenVerifier, integrations: ResolvedIntegrations, db: Kysely<Database>) {
  return async (request: FastifyRequest): Promise<void> => {
    const token = tokenOf(request.headers, request.query, false);
    try {
      if (token !== undefined && token !== '' && isAccessToken(token)) {
        const client = await verifyAccessToken(integrations.key, token, integrations.clockToleranceSeconds);
        const active = await activeOAuthClient(db, client.clientId);
        if (!active || active.tenant !== client.tenant) throw new ParleyError('unauthorized', 'the OAuth client was revoked');
        request.integration = { kind: 'client', client };
      } else {
        const claims = await authenticate(verifier, token);
        request.integration = { kind: 'user', claims };
        request.caller = { claims };
      }
    } catch (error) {
      request.caller = { error };
    }
  };
}

function isAccessToken(token: string): boolean {
  try {
    return decodeProtectedHeader(token).typ === 'at+jwt';
  } catch {
    return false;
  }
}

/** The rate limit's key on integration routes: the client, else the user, else the address. */
export function integrationRateLimitKey(request: FastifyRequest): string {
  const who = request.integration;
  if (who?.kind === 'client') return `client:${who.client.clientId}`;
  if (who?.kind === 'user') return `token:${who.claims.tenant}/${who.claims.sub}`;
  return `ip:${request.ip}`;
}

/**
 * The caller's tenant, if it may do this: a client with one of `scopes`, or (when
 * `staff` allows it) a supervisor or admin of the tenant.
 * @throws HttpProblem `insufficientScope` (with RFC 6750's `WWW-Authenticate`), ParleyError `forbidden`.
 */
export function requireIntegrationAccess(request: FastifyRequest, scopes: readonly OAuthScope[], staff: boolean): { tenant: string; clientId: string | undefined; sub: string } {
  const who = request.integration;
  if (who === undefined) throw new Error(`route ${request.routeOptions.url ?? ''} does not identify integration callers`);
  if (who.kind === 'user') {
    if (!staff || !isStaff(who.claims)) throw new ParleyError('forbidden', staff ? 'supervisor or admin role required' : 'this route takes an OAuth client access token');
    return { tenant: who.claims.tenant, clientId: undefined, sub: who.claims.sub };
  }
  if (!who.client.scopes.some((s) => scopes.includes(s))) {
    throw new HttpProblem('insufficientScope', `the token needs the scope ${scopes.join(' or ')}`, {
      headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${scopes.join(' ')}"` },
    });
  }
  return { tenant: who.client.tenant, clientId: who.client.clientId, sub: who.client.clientId };
}
