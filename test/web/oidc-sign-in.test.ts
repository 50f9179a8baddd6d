import type { Page } from 'playwright-core';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, readAuthSettings } from '../../src/auth/index.ts';
import { ParleyClient, startGateway } from '../../src/gateway/index.ts';
import type { Gateway } from '../../src/gateway/index.ts';
import { createLogger } from '../../src/observability/index.ts';
import { GATEWAY_RESOURCE, OTHER_RESOURCE, startOpenIdProvider } from '../support/openid-provider.ts';
import type { OpenIdProvider } from '../support/openid-provider.ts';
import { queue, startParley } from '../support/parley.ts';
import type { RunningParley } from '../support/parley.ts';
import { startTestServices, waitFor } from '../support/services.ts';
import type { TestServices } from '../support/services.ts';
import { buildWebApp, launchBrowser, screenshot, seriousViolations } from './browser.ts';

/**
 * The desktop signs in through a real OpenID provider (oidc-provider) with the
 * authorization-code flow and PKCE, in Debian's Chromium: the provider's sign-in and
 * consent pages, back to the app, which calls the API (presence) with the issuer's access
 * token, renews it with the refresh token before it expires, and signs out at the issuer.
 * The gateway trusts that issuer only, for its own audience.
 */

const TENANT = 'acme';
const AUDIENCE = 'parley-gateway';
const CLIENT_ID = 'parley-desktop';
// Short-lived, so that the renewal (half-way through) happens within the test.
const ACCESS_TOKEN_TTL_SECONDS = 12;

/** The page's globals, inside `page.evaluate` (the test's TypeScript has no DOM types). */
type PageGlobals = { sessionStorage: { getItem(key: string): string | null } };

describe('sign-in through the OpenID Connect issuer', () => {
  let services: TestServices;
  let parley: RunningParley;
  let idp: OpenIdProvider;
  let gateway: Gateway;
  let app: Awaited<ReturnType<typeof buildWebApp>>;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let admin: ParleyClient;
  let alice: Page;

  beforeAll(async () => {
    app = await buildWebApp();
    services = await startTestServices();
    parley = await startParley(services.natsUrl, services.databaseUrl, [queue(TENANT, 'support')]);
    // The gateway needs the issuer's URL and the provider the app's redirect URI (the
    // gateway's): the provider's server listens first, the provider answers once both are known.
    const listening = { gatewayUrl: '' };
    const settings = (issuer: string) =>
      readAuthSettings({
        PARLEY_AUTH_MODE: 'oidc',
        PARLEY_AUTH_ISSUER: issuer,
        PARLEY_AUTH_AUDIENCE: AUDIENCE,
        PARLEY_AUTH_CLIENT_ID: CLIENT_ID,
        PARLEY_AUTH_SCOPES: 'openid profile offline_access parley',
      });
    idp = await startOpenIdProvider({
      app: { clientId: CLIENT_ID, redirectUri: () => `${listening.gatewayUrl}/app/` },
      services: [{ clientId: 'ops', secret: 'ops-secret-0123456789', role: 'admin' }],
      audiences: { [GATEWAY_RESOURCE]: AUDIENCE, [OTHER_RESOURCE]: 'other-api' },
      tenant: TENANT,
      accessTokenTtlSeconds: ACCESS_TOKEN_TTL_SECONDS,
    });
    const auth = settings(idp.issuer);
    if (auth.mode !== 'oidc' || !auth.client) throw new Error('expected oidc settings with a client');
    gateway = await startGateway({
      nc: parley.nc,
      db: parley.store.db,
      verifier: createTokenVerifier(auth),
      signIn: { issuer: auth.issuer, ...auth.client },
      registry: new Registry(),
      config: parley.config,
      webAppDir: app.dir,
      logger: createLogger({}, { level: 'warn' }),
    });
    listening.gatewayUrl = gateway.url;
    admin = new ParleyClient({ baseUrl: gateway.url, token: await idp.serviceToken('ops', 'ops-secret-0123456789', GATEWAY_RESOURCE) });
    await admin.configureAgent('alice', { name: 'Alice Dupont', skills: [], capacity: { message: 3 } });
    await waitFor(async () => ((await admin.getAgent('alice').catch(() => undefined)) ? true : undefined), { what: 'Alice to exist' });
    browser = await launchBrowser();
    // The provider's development pages import a web font: nothing leaves the machine.
    await browser.context.route(/^https:\/\//, (route) => route.abort());
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    await idp?.close();
    await parley?.stop();
    await services?.stop();
    await app?.remove();
  });

  const storedToken = async (page: Page): Promise<string | undefined> =>
    page.evaluate(() => {
      const saved = (globalThis as unknown as PageGlobals).sessionStorage.getItem('parley.session');
      return saved ? (JSON.parse(saved) as { token: string }).token : undefined;
    });

  it('tells the app how to sign in, and lets it reach the issuer under its CSP', async () => {
    const res = await fetch(`${gateway.url}/v1/auth/sign-in`);
    expect(await res.json()).toEqual({
      localLogin: false,
      oidc: { issuer: idp.issuer, clientId: CLIENT_ID, scopes: ['openid', 'profile', 'offline_access', 'parley'], redirectPath: '/app/' },
    });
    const index = await fetch(`${gateway.url}/app/`);
    expect(index.headers.get('content-security-policy')).toContain(`connect-src 'self' ws: wss: ${idp.issuer}`);
  });

  it('Alice signs in at the issuer (code + PKCE) and changes her presence with its token', async () => {
    alice = await browser.context.newPage();
    await alice.goto(`${gateway.url}/app/`);
    const signIn = alice.getByRole('button', { name: 'Sign in with your company account' });
    await signIn.waitFor();
    // This gateway has no local login: only the issuer and a pasted token are offered.
    expect(await alice.getByLabel('Tenant').count()).toBe(0);
    await screenshot(alice, 'oidc-01-sign-in');
    expect(await seriousViolations(alice), 'axe on the sign-in screen').toEqual([]);
    await signIn.click();

    // The provider's own pages: sign-in, then consent.
    await alice.waitForURL((url) => url.href.startsWith(idp.issuer));
    const authorize = idp.requests.find((r) => r.pathname === '/auth')?.searchParams;
    expect(authorize?.get('code_challenge_method')).toBe('S256');
    expect(authorize?.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    await alice.locator('input[name="login"]').fill('alice');
    await alice.locator('input[name="password"]').fill('any password');
    await screenshot(alice, 'oidc-02-issuer-sign-in');
    await alice.getByRole('button', { name: 'Sign-in' }).click();
    await alice.getByRole('button', { name: 'Continue' }).click();

    await alice.getByText('Signed in as alice (agent, acme)').waitFor();
    // The code left the address bar: a reload or a bookmark does not replay it.
    expect(new URL(alice.url()).search).toBe('');
    expect(idp.grants.authorization_code).toBe(1);
    await alice.getByText('Connected', { exact: true }).waitFor();
    await alice.getByLabel('Presence').selectOption('available');
    await waitFor(async () => ((await admin.getAgent('alice')).presence === 'available' ? true : undefined), { what: 'Alice to be available' });
    await screenshot(alice, 'oidc-03-signed-in');
  }, 120_000);

  it('renews the token with the refresh token before it expires, and the new one works', async () => {
    const first = await storedToken(alice);
    await waitFor(async () => ((idp.grants.refresh_token ?? 0) >= 1 && (await storedToken(alice)) !== first ? true : undefined), {
      what: 'the app to renew its token',
      timeoutMs: 30_000,
    });
    await alice.getByLabel('Presence').selectOption('away');
    await waitFor(async () => ((await admin.getAgent('alice')).presence === 'away' ? true : undefined), { what: 'Alice to be away' });
    const renewed = await storedToken(alice);
    const me = await fetch(`${gateway.url}/v1/auth/me`, { headers: { authorization: `Bearer ${renewed}` } });
    expect(await me.json()).toMatchObject({ sub: 'alice', tenant: TENANT, role: 'agent' });
  }, 60_000);

  it('signs out at the issuer too: the refresh token is revoked and the app is back at its sign-in', async () => {
    const refreshToken = await alice.evaluate(() => {
      const saved = (globalThis as unknown as PageGlobals).sessionStorage.getItem('parley.session');
      return saved ? (JSON.parse(saved) as { oidc?: { tokens: { refreshToken?: string } } }).oidc?.tokens.refreshToken : undefined;
    });
    expect(refreshToken).toBeDefined();
    await alice.getByRole('button', { name: 'Sign out' }).click();
    await alice.waitForURL((url) => url.href.startsWith(idp.issuer));
    await alice.getByRole('button', { name: /Yes, sign me out/i }).click();
    await alice.getByRole('button', { name: 'Sign in with your company account' }).waitFor();
    expect(await storedToken(alice)).toBeUndefined();
    expect(await idp.refreshes(CLIENT_ID, refreshToken ?? '')).toBe(false);
  }, 60_000);

  it('refuses a token of the same issuer for another audience, and one of another issuer', async () => {
    const otherAudience = await idp.serviceToken('ops', 'ops-secret-0123456789', OTHER_RESOURCE);
    const impostor = await startOpenIdProvider({
      app: { clientId: CLIENT_ID, redirectUri: () => `${gateway.url}/app/` },
      services: [{ clientId: 'ops', secret: 'ops-secret-0123456789', role: 'admin' }],
      audiences: { [GATEWAY_RESOURCE]: AUDIENCE },
      tenant: TENANT,
      // Even signed with the trusted issuer's own key, another issuer's token is refused.
      signingKey: idp.signingKey,
    });
    try {
      const otherIssuer = await impostor.serviceToken('ops', 'ops-secret-0123456789', GATEWAY_RESOURCE);
      for (const [token, detail] of [
        [otherAudience, /audience/],
        [otherIssuer, /issuer/],
      ] as const) {
        const res = await fetch(`${gateway.url}/v1/agents/alice`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(401);
        expect(((await res.json()) as { detail: string }).detail).toMatch(detail);
      }
    } finally {
      await impostor.close();
    }
  });
});
