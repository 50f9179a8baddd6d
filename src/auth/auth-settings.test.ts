import { describe, expect, it } from 'vitest';
import { AuthSettingsError, readAuthSettings } from './auth-settings.ts';

const oidc = { PARLEY_AUTH_MODE: 'oidc', PARLEY_AUTH_ISSUER: 'https://sso.example/realms/parley', PARLEY_AUTH_AUDIENCE: 'parley' };

function fails(env: Record<string, string>, message: RegExp): void {
  expect(() => readAuthSettings(env)).toThrow(AuthSettingsError);
  expect(() => readAuthSettings(env)).toThrow(message);
}

describe('readAuthSettings', () => {
  it('defaults to local mode with Parley claim names and 30 s of clock tolerance', () => {
    expect(readAuthSettings({})).toEqual({
      mode: 'local',
      secret: undefined,
      issuer: undefined,
      audience: [],
      clockToleranceSeconds: 30,
      claims: { subject: 'sub', tenant: 'tenant', fixedTenant: undefined, role: 'role', roleMap: undefined },
    });
  });

  it("reads the web app's OIDC client: its id and scopes (space- or comma-separated, openid required)", () => {
    expect(readAuthSettings(oidc)).toMatchObject({ client: undefined });
    expect(readAuthSettings({ ...oidc, PARLEY_AUTH_CLIENT_ID: 'parley-desktop' })).toMatchObject({
      client: { clientId: 'parley-desktop', scopes: ['openid', 'profile', 'offline_access'] },
    });
    expect(readAuthSettings({ ...oidc, PARLEY_AUTH_CLIENT_ID: 'parley-desktop', PARLEY_AUTH_SCOPES: 'openid api://parley/agent, offline_access' })).toMatchObject({
      client: { scopes: ['openid', 'api://parley/agent', 'offline_access'] },
    });
    fails({ ...oidc, PARLEY_AUTH_CLIENT_ID: 'parley-desktop', PARLEY_AUTH_SCOPES: 'profile' }, /must include openid/);
    fails({ ...oidc, PARLEY_AUTH_SCOPES: 'openid' }, /PARLEY_AUTH_CLIENT_ID is not/);
    fails({ PARLEY_AUTH_CLIENT_ID: 'parley-desktop' }, /PARLEY_AUTH_CLIENT_ID is set, but PARLEY_AUTH_MODE is local/);
  });

  it('counts empty and blank values as unset, but keeps the secret byte for byte', () => {
    expect(readAuthSettings({ PARLEY_AUTH_MODE: ' ', PARLEY_AUTH_TENANT_CLAIM: '', PARLEY_AUTH_KEYS: '' })).toMatchObject({ mode: 'local', claims: { tenant: 'tenant' } });
    expect(readAuthSettings({ PARLEY_AUTH_SECRET: '' })).toMatchObject({ secret: undefined });
    expect(readAuthSettings({ PARLEY_AUTH_SECRET: ' s3cret\n' })).toMatchObject({ secret: ' s3cret\n' });
  });

  it('resolves oidc mode with its fixed JWKS timings', () => {
    expect(readAuthSettings({ ...oidc, PARLEY_AUTH_AUDIENCE: 'parley, account', PARLEY_AUTH_ALGORITHMS: 'ES256,PS256' })).toMatchObject({
      mode: 'oidc',
      issuer: oidc.PARLEY_AUTH_ISSUER,
      audience: ['parley', 'account'],
      jwksUrl: undefined,
      algorithms: ['ES256', 'PS256'],
      jwksCacheMaxAgeMs: 600_000,
      jwksCooldownMs: 30_000,
      jwksTimeoutMs: 5_000,
    });
  });

  it('requires an issuer URL and an audience in oidc mode', () => {
    fails({ PARLEY_AUTH_MODE: 'oidc', PARLEY_AUTH_AUDIENCE: 'parley' }, /needs PARLEY_AUTH_ISSUER/);
    fails({ ...oidc, PARLEY_AUTH_AUDIENCE: '' }, /needs PARLEY_AUTH_AUDIENCE/);
    fails({ ...oidc, PARLEY_AUTH_ISSUER: 'sso.example' }, /PARLEY_AUTH_ISSUER=sso\.example is not a URL/);
    fails({ ...oidc, PARLEY_AUTH_JWKS_URL: 'ftp://sso.example/keys' }, /must be an https:\/\/ URL/);
  });

  it('requires key files in keys mode, and splits them on commas', () => {
    fails({ PARLEY_AUTH_MODE: 'keys' }, /needs PARLEY_AUTH_KEYS/);
    expect(readAuthSettings({ PARLEY_AUTH_MODE: 'keys', PARLEY_AUTH_KEYS: '/keys/a.pem, /keys/b.json' })).toMatchObject({ keyFiles: ['/keys/a.pem', '/keys/b.json'], algorithms: ['RS256', 'ES256'] });
  });

  it("refuses another mode's setting rather than ignoring it", () => {
    fails({ PARLEY_AUTH_KEYS: '/keys' }, /PARLEY_AUTH_KEYS is set, but PARLEY_AUTH_MODE is local/);
    fails({ ...oidc, PARLEY_AUTH_KEYS: '/keys' }, /PARLEY_AUTH_KEYS is set, but PARLEY_AUTH_MODE is oidc/);
    fails({ PARLEY_AUTH_MODE: 'keys', PARLEY_AUTH_KEYS: '/k', PARLEY_AUTH_JWKS_URL: 'https://x' }, /PARLEY_AUTH_JWKS_URL is set/);
    fails({ PARLEY_AUTH_ALGORITHMS: 'RS256' }, /PARLEY_AUTH_ALGORITHMS is set, but PARLEY_AUTH_MODE is local/);
    // The Helm chart always sets the secret: it stays harmless in the other modes.
    expect(readAuthSettings({ ...oidc, PARLEY_AUTH_SECRET: 's' }).mode).toBe('oidc');
  });

  it('accepts only public-key algorithms for keys and oidc', () => {
    fails({ ...oidc, PARLEY_AUTH_ALGORITHMS: 'RS256,HS256' }, /HS256 not allowed/);
    fails({ ...oidc, PARLEY_AUTH_ALGORITHMS: 'none' }, /none not allowed/);
    fails({ ...oidc, PARLEY_AUTH_ALGORITHMS: ',' }, /\(empty\) not allowed/);
  });

  it('parses the role map (names may hold "=") and a fixed tenant', () => {
    expect(readAuthSettings({ PARLEY_AUTH_ROLE_MAP: 'cn=agents=agent, parley-admins=admin', PARLEY_AUTH_TENANT: 'acme' }).claims).toMatchObject({
      fixedTenant: 'acme',
      roleMap: { 'cn=agents': 'agent', 'parley-admins': 'admin' },
    });
    fails({ PARLEY_AUTH_ROLE_MAP: 'agents=root' }, /"agents=root" must be <name>=<role>/);
    fails({ PARLEY_AUTH_ROLE_MAP: 'agents' }, /"agents" must be <name>=<role>/);
    fails({ PARLEY_AUTH_TENANT: 'Acme Corp' }, /PARLEY_AUTH_TENANT=Acme Corp must be a DNS label/);
  });

  it('bounds the clock tolerance and names an unknown mode', () => {
    expect(readAuthSettings({ PARLEY_AUTH_CLOCK_TOLERANCE: '0' }).clockToleranceSeconds).toBe(0);
    fails({ PARLEY_AUTH_CLOCK_TOLERANCE: '301' }, /from 0 to 300/);
    fails({ PARLEY_AUTH_CLOCK_TOLERANCE: '1.5' }, /from 0 to 300/);
    fails({ PARLEY_AUTH_MODE: 'saml' }, /PARLEY_AUTH_MODE=saml must be one of local, keys, oidc/);
  });
});
