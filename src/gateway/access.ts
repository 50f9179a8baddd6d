import type { IncomingHttpHeaders } from 'node:http';
import { ParleyError } from '../contract/index.ts';
import type { Claims, TokenVerifier } from '../auth/index.ts';

/**
 * Who may do what. The tenant always comes from the verified token; these checks only
 * decide between roles and agents inside that tenant.
 */

/**
 * The token from `Authorization: Bearer …`, or (WebSocket only) from `?access_token=`.
 * `undefined` when there is none; `''` when the header is there but not a bearer token.
 */
export function tokenOf(headers: IncomingHttpHeaders, query: unknown, allowQuery: boolean): string | undefined {
  const header = headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1] ?? '';
  }
  // Browsers cannot set headers on a WebSocket, hence the query parameter there only:
  // elsewhere it would end up in proxies' access logs for no reason.
  if (!allowQuery || typeof query !== 'object' || query === null) return undefined;
  const value = (query as Record<string, unknown>).access_token;
  return typeof value === 'string' ? value : undefined;
}

/** @throws ParleyError `unauthorized` when the token is missing or invalid. */
export async function authenticate(verifier: TokenVerifier, token: string | undefined): Promise<Claims> {
  if (token === undefined || token === '') throw new ParleyError('unauthorized', 'missing bearer token');
  return verifier.verify(token);
}

/** Supervisors and admins see and steer every agent of their tenant. */
export function isStaff(claims: Claims): boolean {
  return claims.role === 'supervisor' || claims.role === 'admin';
}

/** @throws ParleyError `forbidden` unless the caller is an admin. */
export function requireAdmin(claims: Claims): void {
  if (claims.role !== 'admin') throw forbidden('admin role required');
}

/** @throws ParleyError `forbidden` unless the caller is that agent, a supervisor or an admin. */
export function requireSelfOrStaff(claims: Claims, agentId: string): void {
  if (claims.sub !== agentId && !isStaff(claims)) throw forbidden('only the agent itself or a supervisor');
}

/**
 * @throws ParleyError `forbidden` unless the caller is that agent or an admin: answering
 *   an offer is the agent's own decision, a supervisor does not take it for them.
 */
export function requireSelfOrAdmin(claims: Claims, agentId: string): void {
  if (claims.sub !== agentId && claims.role !== 'admin') throw forbidden('only the agent itself');
}

export function forbidden(detail: string): ParleyError {
  return new ParleyError('forbidden', detail);
}
