import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTokenVerifier, readAuthSettings } from '../../src/auth/index.ts';
import type { OidcAuthSettings, TokenVerifier } from '../../src/auth/index.ts';
import { ParleyError } from '../../src/contract/index.ts';
import { signingKey, signWith, startIdentityProvider } from './identity-provider.ts';
import type { IdentityProvider, SigningKey } from './identity-provider.ts';

/** OIDC mode against a real local issuer over HTTP: discovery, JWKS, rotation, and every way a token is refused. */

const AUDIENCE = 'parley-gateway';
let idp: IdentityProvider;
let rsa: SigningKey;
let ec: SigningKey;

/** Keycloak-shaped claims: the agent id in preferred_username, groups in realm_access.roles. */
function keycloakSettings(extra: Record<string, string> = {}, overrides: Partial<OidcAuthSettings> = {}): OidcAuthSettings {
  const settings = readAuthSettings({
    PARLEY_AUTH_MODE: 'oidc',
    PARLEY_AUTH_ISSUER: idp.issuer,
    PARLEY_AUTH_AUDIENCE: AUDIENCE,
    PARLEY_AUTH_SUBJECT_CLAIM: 'preferred_username',
    PARLEY_AUTH_TENANT_CLAIM: 'parley_tenant',
    PARLEY_AUTH_ROLE_CLAIM: 'realm_access.roles',
    PARLEY_AUTH_ROLE_MAP: 'parley-agent=agent,parley-supervisor=supervisor,parley-admin=admin',
    ...extra,
  });
  if (settings.mode !== 'oidc') throw new Error('expected oidc settings');
  return { ...settings, ...overrides };
}

function keycloakToken(key: SigningKey, payload: Record<string, unknown> = {}, header?: { kid?: string | undefined }): Promise<string> {
  return signWith(
    key,
    {
      iss: idp.issuer,
      aud: ['account', AUDIENCE],
      sub: 'f3b1c1a2-7d4e-4c1b-9a53-0c2a6f1f0e11',
      preferred_username: 'alice',
      parley_tenant: 'acme',
      realm_access: { roles: ['offline_access', 'parley-agent'] },
      ...payload,
    },
    header,
  );
}

async function refusal(verifier: TokenVerifier, token: string): Promise<ParleyError> {
  const err: unknown = await verifier.verify(token).then(
    () => expect.fail('expected the token to be refused'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ParleyError);
  return err as ParleyError;
}

async function expectUnauthorized(verifier: TokenVerifier, token: string, detail: RegExp): Promise<void> {
  const err = await refusal(verifier, token);
  expect(err.code).toBe('unauthorized');
  expect(err.message).toMatch(detail);
}

beforeAll(async () => {
  idp = await startIdentityProvider();
  [rsa, ec] = await Promise.all([signingKey('rsa-2026-12'), signingKey('ec-2026-12', 'ES256')]);
});

afterAll(async () => {
  await idp.close();
});

beforeEach(() => {
  idp.published = [rsa, ec];
  idp.failWith = undefined;
  idp.advertisedIssuer = idp.issuer;
});

describe('oidc mode', () => {
  it('finds the JWKS by discovery and maps Keycloak-style claims (RS256 and ES256)', async () => {
    const before = { ...idp.requests };
    const verifier = createTokenVerifier(keycloakSettings());
    expect(idp.requests, 'nothing is fetched before the first token').toEqual(before);
    const now = Math.floor(Date.now() / 1000);
    await expect(verifier.verify(await keycloakToken(rsa, { iat: now, exp: now + 300 }))).resolves.toEqual({
      sub: 'alice',
      tenant: 'acme',
      role: 'agent',
      iat: now,
      exp: now + 300,
    });
    await expect(verifier.verify(await keycloakToken(ec, { realm_access: { roles: ['parley-agent', 'parley-supervisor'] } }))).resolves.toMatchObject({
      sub: 'alice',
      role: 'supervisor',
    });
    expect(idp.requests).toEqual({ discovery: before.discovery + 1, jwks: before.jwks + 1 });
  });

  it('takes a JWKS URL given directly, without discovery', async () => {
    const before = idp.requests.discovery;
    const verifier = createTokenVerifier(keycloakSettings({ PARLEY_AUTH_JWKS_URL: idp.jwksUrl }));
    await expect(verifier.verify(await keycloakToken(rsa))).resolves.toMatchObject({ sub: 'alice' });
    expect(idp.requests.discovery).toBe(before);
  });

  it('follows a key rotation: a new kid refetches the JWKS, and the removed key signs no new token', async () => {
    const verifier = createTokenVerifier(keycloakSettings({}, { jwksCooldownMs: 0 }));
    const oldToken = await keycloakToken(rsa);
    await expect(verifier.verify(oldToken)).resolves.toMatchObject({ sub: 'alice' });

    const next = await signingKey('rsa-2027-06');
    idp.published = [next, ec];
    const fetched = idp.requests.jwks;
    await expect(verifier.verify(await keycloakToken(next))).resolves.toMatchObject({ sub: 'alice' });
    expect(idp.requests.jwks).toBe(fetched + 1);
    // A token verified before the rotation is remembered for up to a minute (cachingVerifier);
    // any other token of the removed key is refused at once.
    const signedAfterRemoval = await keycloakToken(rsa, { jti: 'after-rotation' });
    await expectUnauthorized(verifier, signedAfterRemoval, /unknown signing key \(kid "rsa-2026-12"\)/);
  });

  it('keeps both keys during a rollover, and refetches at most once per cooldown for unknown kids', async () => {
    const verifier = createTokenVerifier(keycloakSettings()); // cooldown 30 s
    const next = await signingKey('rsa-next');
    idp.published = [rsa, next, ec];
    await expect(verifier.verify(await keycloakToken(rsa))).resolves.toMatchObject({ sub: 'alice' });
    await expect(verifier.verify(await keycloakToken(next))).resolves.toMatchObject({ sub: 'alice' });
    const fetched = idp.requests.jwks;
    const stranger = await signingKey('stranger');
    for (let i = 0; i < 3; i += 1) await expectUnauthorized(verifier, await keycloakToken(stranger), /unknown signing key \(kid "stranger"\)/);
    expect(idp.requests.jwks, 'a burst of unknown kids inside the cooldown fetches nothing').toBe(fetched);
  });

  it('refuses a wrong audience, a wrong issuer, an expired token and one not valid yet', async () => {
    const verifier = createTokenVerifier(keycloakSettings());
    const now = Math.floor(Date.now() / 1000);
    await expectUnauthorized(verifier, await keycloakToken(rsa, { aud: 'another-app' }), /audience/);
    await expectUnauthorized(verifier, await keycloakToken(rsa, { aud: undefined }), /"aud" is missing/);
    await expectUnauthorized(verifier, await keycloakToken(rsa, { iss: `${idp.issuer}-other` }), /issuer/);
    await expectUnauthorized(verifier, await keycloakToken(rsa, { iat: now - 7200, exp: now - 60 }), /expired/);
    await expectUnauthorized(verifier, await keycloakToken(rsa, { nbf: now + 600 }), /not yet valid/);
  });

  it('refuses alg none, an HS256 token (even one keyed with the public key), and algorithms not configured', async () => {
    const verifier = createTokenVerifier(keycloakSettings());
    const good = await keycloakToken(rsa);
    const [, payload] = good.split('.');
    const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    await expectUnauthorized(verifier, `${b64({ alg: 'none', kid: rsa.kid })}.${payload}.`, /algorithm "none"/);

    // The classic confusion: HMAC keyed with the public key that the verifier knows.
    for (const secret of [rsa.publicPem, JSON.stringify(rsa.publicJwk)]) {
      const body = `${b64({ alg: 'HS256', typ: 'JWT', kid: rsa.kid })}.${payload}`;
      const forged = `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
      await expectUnauthorized(verifier, forged, /algorithm "HS256"/);
    }

    const rsOnly = createTokenVerifier(keycloakSettings({ PARLEY_AUTH_ALGORITHMS: 'RS256' }));
    await expect(rsOnly.verify(good)).resolves.toMatchObject({ sub: 'alice' });
    await expectUnauthorized(rsOnly, await keycloakToken(ec), /algorithm "ES256"/);
  });

  it('refuses a forged signature, a token without kid when the issuer has several keys, and unmapped roles', async () => {
    const verifier = createTokenVerifier(keycloakSettings());
    const impostor = await signingKey(rsa.kid); // same kid, other key
    await expectUnauthorized(verifier, await keycloakToken(impostor), /bad signature/);
    const twoRsa = await signingKey('rsa-b');
    idp.published = [rsa, twoRsa];
    const fresh = createTokenVerifier(keycloakSettings());
    await expectUnauthorized(fresh, await keycloakToken(rsa, {}, { kid: undefined }), /names no signing key/);
    await expectUnauthorized(verifier, await keycloakToken(rsa, { realm_access: { roles: ['offline_access'] } }), /no Parley role in claim "realm_access.roles"/);
    await expectUnauthorized(verifier, await keycloakToken(rsa, { parley_tenant: 'ACME' }), /"parley_tenant": must be a DNS label/);
  });

  it('answers unavailable while the issuer is down, and recovers once it is back', async () => {
    idp.failWith = 503;
    const verifier = createTokenVerifier(keycloakSettings({}, { jwksCooldownMs: 0 }));
    const token = await keycloakToken(rsa);
    const err = await refusal(verifier, token);
    expect(err.code).toBe('unavailable');
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/openid-configuration answered 503/);

    idp.failWith = undefined;
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'alice' });

    // Discovered, but now the JWKS itself fails (its cache is fresh, so force a refetch with a new kid).
    idp.failWith = 500;
    const next = await signingKey('rsa-while-down');
    const down = await refusal(verifier, await keycloakToken(next));
    expect(down.code).toBe('unavailable');
    expect(down.message).toMatch(/JWKS http:\/\/127\.0\.0\.1:\d+\/realms\/parley\/protocol\/openid-connect\/certs/);
  });

  it('answers unavailable when the issuer does not answer in time or cannot be reached', async () => {
    idp.failWith = 'hang';
    const token = await keycloakToken(rsa);
    const slow = await refusal(createTokenVerifier(keycloakSettings({}, { jwksTimeoutMs: 200 })), token);
    expect(slow.code).toBe('unavailable');
    expect(slow.message).toMatch(/discovery failed.*timeout/i);
    const slowJwks = await refusal(createTokenVerifier(keycloakSettings({ PARLEY_AUTH_JWKS_URL: idp.jwksUrl }, { jwksTimeoutMs: 200 })), token);
    expect(slowJwks.code).toBe('unavailable');

    const closed = await startIdentityProvider();
    await closed.close();
    const unreachable = await refusal(createTokenVerifier(keycloakSettings({ PARLEY_AUTH_JWKS_URL: closed.jwksUrl })), token);
    expect(unreachable.code).toBe('unavailable');
    expect(unreachable.message).toContain(closed.jwksUrl);
  });

  it('does not retry a failed discovery before the cooldown', async () => {
    idp.failWith = 503;
    const verifier = createTokenVerifier(keycloakSettings()); // cooldown 30 s
    const token = await keycloakToken(rsa);
    const before = idp.requests.discovery;
    for (let i = 0; i < 3; i += 1) expect((await refusal(verifier, token)).code).toBe('unavailable');
    expect(idp.requests.discovery).toBe(before + 1);
  });

  it('refuses a discovery document that names another issuer', async () => {
    idp.advertisedIssuer = 'https://evil.example/realms/parley';
    const err = await refusal(createTokenVerifier(keycloakSettings()), await keycloakToken(rsa));
    expect(err.code).toBe('unavailable');
    expect(err.message).toMatch(/names issuer "https:\/\/evil\.example\/realms\/parley"/);
  });
});
