import type { Role } from '../../../src/auth/claims.ts';

/**
 * Who is signed in: the token and what it says. The gateway verifies the token on every
 * call; the app only reads its claims to know which screens to show. Kept in
 * sessionStorage: a tab's sign-in ends with the tab.
 */
export interface Session {
  token: string;
  sub: string;
  tenant: string;
  role: Role;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

const KEY = 'parley.token';

export function sessionFromToken(token: string): Session {
  const part = token.split('.')[1];
  if (!part) throw new Error('not a JWT');
  const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
  const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as Record<string, unknown>;
  const { sub, tenant, role, exp } = claims;
  if (typeof sub !== 'string' || typeof tenant !== 'string' || (role !== 'agent' && role !== 'supervisor' && role !== 'admin') || typeof exp !== 'number') {
    // Tokens of an identity provider with other claim names are still usable: the gateway
    // maps them. The app then assumes an agent whose id is `sub`.
    const name = typeof claims.preferred_username === 'string' ? claims.preferred_username : typeof sub === 'string' ? sub : '';
    return { token, sub: name, tenant: typeof tenant === 'string' ? tenant : '', role: 'agent', expiresAt: typeof exp === 'number' ? exp * 1000 : 0 };
  }
  return { token, sub, tenant, role, expiresAt: exp * 1000 };
}

export function savedSession(): Session | undefined {
  const token = sessionStorage.getItem(KEY);
  if (!token) return undefined;
  try {
    const session = sessionFromToken(token);
    return session.expiresAt > Date.now() ? session : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session | undefined): void {
  if (session) sessionStorage.setItem(KEY, session.token);
  else sessionStorage.removeItem(KEY);
}

export function isStaff(session: Session): boolean {
  return session.role === 'supervisor' || session.role === 'admin';
}
