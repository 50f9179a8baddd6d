import type { Claims, Role } from '../../../src/auth/claims.ts';
import type { IssuerSettings, IssuerTokens } from './oidc-sign-in.ts';

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
  /** Set when signed in through the issuer: what renews the token and ends the sign-in there. */
  oidc?: { settings: IssuerSettings; tokens: IssuerTokens };
}

const KEY = 'parley.session';

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

/**
 * The session of the issuer's tokens, with the caller as the gateway reads the access token
 * (`GET /v1/auth/me`): the issuer's claim names and roles are the gateway's to map.
 */
export function sessionFromIssuer(settings: IssuerSettings, tokens: IssuerTokens, me: Pick<Claims, 'sub' | 'tenant' | 'role'>): Session {
  return { token: tokens.accessToken, sub: me.sub, tenant: me.tenant, role: me.role, expiresAt: tokens.expiresAt, oidc: { settings, tokens } };
}

/** The same sign-in with renewed tokens (the caller is the same: a refresh does not change who signed in). */
export function renewedSession(session: Session & Required<Pick<Session, 'oidc'>>, tokens: IssuerTokens): Session {
  return { ...session, token: tokens.accessToken, expiresAt: tokens.expiresAt, oidc: { settings: session.oidc.settings, tokens } };
}

export function savedSession(): Session | undefined {
  const saved = sessionStorage.getItem(KEY);
  if (!saved) return undefined;
  try {
    const session = JSON.parse(saved) as Session;
    // An expired token with a refresh token is renewed at once (the app's refresh schedule).
    return session.expiresAt > Date.now() || session.oidc?.tokens.refreshToken ? session : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session | undefined): void {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
}

export function isStaff(session: Session): boolean {
  return session.role === 'supervisor' || session.role === 'admin';
}
