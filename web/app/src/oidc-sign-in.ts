import * as oauth from 'oauth4webapi';
import type { SignInView } from '../../../src/gateway/desktop-views.ts';

/**
 * Sign-in through the gateway's OpenID Connect issuer, as a public client: the
 * authorization-code flow with PKCE (RFC 9700, OAuth 2.0 for Browser-Based Apps), done by
 * oauth4webapi. The issuer's discovery document names its endpoints; the access token it
 * issues is what the gateway verifies. docs/authentication.md §4 says how to register the client.
 */

export type IssuerSettings = NonNullable<SignInView['oidc']>;

/** What the issuer gave: the access token is the gateway's bearer token. */
export interface IssuerTokens {
  accessToken: string;
  /** Renews the access token before it expires; absent when the issuer gave none (no offline_access). */
  refreshToken?: string;
  /** Proves who signed in to the issuer's end-session endpoint at sign-out. */
  idToken?: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  /** When to renew it (ms since the epoch): half-way through its life, or a minute before it ends if that is later. */
  renewAt: number;
}

/** The PKCE verifier, state and nonce of a sign-in under way, kept across the redirect to the issuer. */
interface PendingSignIn {
  codeVerifier: string;
  state: string;
  nonce: string;
}

const PENDING = 'parley.oidc.pending';
const servers = new Map<string, Promise<oauth.AuthorizationServer>>();

/** An `http:` issuer is refused by oauth4webapi unless allowed: the operator configured it (a test or a lab). */
function requestOptions(settings: IssuerSettings): { [oauth.allowInsecureRequests]?: boolean } {
  return new URL(settings.issuer).protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {};
}

/** The issuer's metadata, by discovery, once per page (a failed discovery is tried again next time). */
function authorizationServer(settings: IssuerSettings): Promise<oauth.AuthorizationServer> {
  let server = servers.get(settings.issuer);
  if (!server) {
    const issuer = new URL(settings.issuer);
    server = oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...requestOptions(settings) }).then((response) => oauth.processDiscoveryResponse(issuer, response));
    server.catch(() => servers.delete(settings.issuer));
    servers.set(settings.issuer, server);
  }
  return server;
}

function client(settings: IssuerSettings): oauth.Client {
  return { client_id: settings.clientId };
}

/** The app's own URL: the redirect URI registered at the issuer. */
export function redirectUri(settings: IssuerSettings): string {
  return new URL(settings.redirectPath, location.origin).href;
}

/** Leaves for the issuer's sign-in page; it comes back to {@link redirectUri} with a code. */
export async function beginSignIn(settings: IssuerSettings): Promise<void> {
  const as = await authorizationServer(settings);
  if (!as.authorization_endpoint) throw new Error(`${settings.issuer} has no authorization endpoint`);
  const pending: PendingSignIn = { codeVerifier: oauth.generateRandomCodeVerifier(), state: oauth.generateRandomState(), nonce: oauth.generateRandomNonce() };
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: settings.clientId,
    redirect_uri: redirectUri(settings),
    response_type: 'code',
    scope: settings.scopes.join(' '),
    code_challenge: await oauth.calculatePKCECodeChallenge(pending.codeVerifier),
    code_challenge_method: 'S256',
    state: pending.state,
    nonce: pending.nonce,
  }).toString();
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  location.assign(url.href);
}

/** Whether this page load is the issuer's redirect back to a sign-in this tab started. */
export function isSignInCallback(): boolean {
  const params = new URLSearchParams(location.search);
  return sessionStorage.getItem(PENDING) !== null && params.has('state') && (params.has('code') || params.has('error'));
}

/**
 * Trades the code for tokens: checks the state, sends the PKCE verifier, and checks the ID
 * token (signature, issuer, audience, nonce). The code leaves the address bar first, so a
 * reload or a bookmark never replays it.
 */
export async function completeSignIn(settings: IssuerSettings): Promise<IssuerTokens> {
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null') as PendingSignIn | null;
  sessionStorage.removeItem(PENDING);
  const callback = new URL(location.href);
  history.replaceState(null, '', callback.pathname);
  if (!pending) throw new Error('no sign-in under way in this tab');
  const as = await authorizationServer(settings);
  const params = oauth.validateAuthResponse(as, client(settings), callback, pending.state);
  const response = await oauth.authorizationCodeGrantRequest(as, client(settings), oauth.None(), params, redirectUri(settings), pending.codeVerifier, requestOptions(settings));
  const result = await oauth.processAuthorizationCodeResponse(as, client(settings), response, { expectedNonce: pending.nonce, requireIdToken: true });
  return tokensOf(result, undefined);
}

/** A new access token for the refresh token (which the issuer may rotate). */
export async function refreshTokens(settings: IssuerSettings, tokens: IssuerTokens): Promise<IssuerTokens> {
  if (!tokens.refreshToken) throw new Error('the issuer gave no refresh token');
  const as = await authorizationServer(settings);
  const response = await oauth.refreshTokenGrantRequest(as, client(settings), oauth.None(), tokens.refreshToken, requestOptions(settings));
  return tokensOf(await oauth.processRefreshTokenResponse(as, client(settings), response), tokens);
}

/**
 * Ends the sign-in at the issuer too: revokes the refresh token (RFC 7009) when the issuer
 * can, then goes to its end-session endpoint (RP-initiated logout), which comes back to the app.
 * Without an end-session endpoint the issuer's own session stays, as it would for any other app.
 */
export async function signOutAtIssuer(settings: IssuerSettings, tokens: IssuerTokens): Promise<void> {
  const as = await authorizationServer(settings);
  if (tokens.refreshToken && as.revocation_endpoint) {
    const response = await oauth.revocationRequest(as, client(settings), oauth.None(), tokens.refreshToken, requestOptions(settings));
    await oauth.processRevocationResponse(response);
  }
  if (!as.end_session_endpoint) return;
  const url = new URL(as.end_session_endpoint);
  url.searchParams.set('client_id', settings.clientId);
  url.searchParams.set('post_logout_redirect_uri', redirectUri(settings));
  if (tokens.idToken) url.searchParams.set('id_token_hint', tokens.idToken);
  location.assign(url.href);
}

function tokensOf(result: oauth.TokenEndpointResponse, previous: IssuerTokens | undefined): IssuerTokens {
  // Without expires_in the token's lifetime is unknown: renew within five minutes.
  const lifetimeSeconds = result.expires_in ?? 300;
  const refreshToken = result.refresh_token ?? previous?.refreshToken;
  const idToken = result.id_token ?? previous?.idToken;
  const now = Date.now();
  return {
    accessToken: result.access_token,
    expiresAt: now + lifetimeSeconds * 1000,
    renewAt: now + Math.max(lifetimeSeconds / 2, lifetimeSeconds - 60) * 1000,
    ...(refreshToken && { refreshToken }),
    ...(idToken && { idToken }),
  };
}
