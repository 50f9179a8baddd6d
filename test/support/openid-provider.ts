import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';
import Provider from 'oidc-provider';

/**
 * A real OpenID Connect provider for tests: panva's oidc-provider (OpenID-certified), over
 * HTTP on 127.0.0.1. Its built-in development interactions are the sign-in and consent
 * pages (any password is accepted: the provider, not the password, is under test). Access
 * tokens for the gateway's resource are JWTs with Parley's `tenant` and `role` claims.
 */

/** The gateway, as a resource server: the `aud` of its access tokens. */
export const GATEWAY_RESOURCE = 'https://parley.test/api';
/** Another API of the same provider, whose tokens the gateway must refuse. */
export const OTHER_RESOURCE = 'https://other.test/api';

export interface OpenIdProviderOptions {
  /** The web app's public client (authorization code + PKCE + refresh tokens); its redirect URI is read at the first request. */
  app: { clientId: string; redirectUri: () => string };
  /** Confidential clients that get tokens by client credentials, with the Parley role each token carries. */
  services?: { clientId: string; secret: string; role: string }[];
  /** `aud` per resource. */
  audiences: Record<string, string>;
  tenant: string;
  /** Lifetime of an access token, in seconds. @default 3600 */
  accessTokenTtlSeconds?: number;
  /** The signing key (a private JWK with `kid`); two providers given the same one sign alike. @default a new RSA key */
  signingKey?: JWK;
}

export interface OpenIdProvider {
  issuer: string;
  signingKey: JWK;
  /** How many token requests of each grant type succeeded. */
  grants: Record<string, number>;
  /** Every request's URL, in order. */
  requests: URL[];
  /** Whether the token endpoint still renews with this refresh token (for `clientId`, a public client). */
  refreshes(clientId: string, refreshToken: string): Promise<boolean>;
  /** An access token by client credentials, for `resource`. */
  serviceToken(clientId: string, secret: string, resource: string): Promise<string>;
  close(): Promise<void>;
}

export async function newSigningKey(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}

export async function startOpenIdProvider(options: OpenIdProviderOptions): Promise<OpenIdProvider> {
  // The issuer URL (with its port) is known once the server listens, the app's redirect URI
  // once the gateway does (which needs the issuer): the provider is made at the first request.
  let handle: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const requests: URL[] = [];
  const server = createServer((req, res) => {
    requests.push(new URL(req.url ?? '/', issuer));
    handle ??= provider().callback();
    handle(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const signingKey = options.signingKey ?? (await newSigningKey('test-rsa'));
  const roles = new Map((options.services ?? []).map((s) => [s.clientId, s.role]));
  const grants: Record<string, number> = {};
  const provider = (): Provider => {
    const made = new Provider(issuer, {
      clients: [
        {
          client_id: options.app.clientId,
          token_endpoint_auth_method: 'none',
          application_type: 'web',
          redirect_uris: [options.app.redirectUri()],
          post_logout_redirect_uris: [options.app.redirectUri()],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
        },
        ...(options.services ?? []).map((s) => ({
          client_id: s.clientId,
          client_secret: s.secret,
          grant_types: ['client_credentials'],
          response_types: [],
          redirect_uris: [],
        })),
      ],
      jwks: { keys: [signingKey] },
      cookies: { keys: ['openid-provider-test-cookie-key'] },
      findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id, preferred_username: id }) }),
      claims: { openid: ['sub'], profile: ['preferred_username'] },
      scopes: ['openid', 'offline_access', 'parley'],
      features: {
        devInteractions: { enabled: true },
        revocation: { enabled: true },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          // The app asks for no resource: its tokens are the gateway's, as an IdP's audience mapper would make them.
          defaultResource: (_ctx: unknown, _client: unknown, oneOf?: string) => oneOf ?? GATEWAY_RESOURCE,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx: unknown, resource: string) => ({
            scope: 'parley',
            audience: options.audiences[resource],
            accessTokenFormat: 'jwt',
            accessTokenTTL: options.accessTokenTtlSeconds ?? 3600,
            jwt: { sign: { alg: 'RS256' } },
          }),
        },
      },
      // Parley's claims in every access token: agents by sign-in, a service client's role by its id.
      extraTokenClaims: (_ctx: unknown, token: { kind: string; clientId: string }) => ({
        tenant: options.tenant,
        role: token.kind === 'ClientCredentials' ? roles.get(token.clientId) : 'agent',
      }),
      // Refresh tokens for the public web client without a consent prompt (by default
      // oidc-provider drops offline_access unless prompt=consent was asked).
      issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) => client.grantTypeAllowed('refresh_token'),
      // Set, so that the provider does not warn about its defaults on every first use.
      ttl: { Interaction: 600, Session: 3600, Grant: 3600, IdToken: 3600, RefreshToken: 3600, ClientCredentials: 600, AccessToken: options.accessTokenTtlSeconds ?? 3600 },
      clientBasedCORS: (_ctx: unknown, origin: string, client: { redirectUris: string[] }) => client.redirectUris.some((uri) => new URL(uri).origin === origin),
    });
    made.on('grant.success', (ctx) => {
      const type = String(ctx.oidc.params?.grant_type);
      grants[type] = (grants[type] ?? 0) + 1;
    });
    return made;
  };

  return {
    issuer,
    signingKey,
    grants,
    requests,
    async refreshes(clientId, refreshToken) {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken }),
      });
      return response.ok;
    },
    async serviceToken(clientId, secret, resource) {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'parley', resource }),
      });
      const body = (await response.json()) as { access_token?: string };
      if (!response.ok || !body.access_token) throw new Error(`client credentials for ${clientId}: ${response.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
