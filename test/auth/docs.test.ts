import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { authDefaults, claimsFrom, readAuthSettings, VERIFIED_TOKEN_TTL_MS } from '../../src/auth/index.ts';

/** docs/authentication.md is how operators set up authentication: its settings and refusals must be the code's. */

const doc = readFileSync(fileURLToPath(new URL('../../docs/authentication.md', import.meta.url)), 'utf8');
const authDir = fileURLToPath(new URL('../../src/auth/', import.meta.url));
const source = readdirSync(authDir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => readFileSync(`${authDir}${f}`, 'utf8'))
  .join('\n');

/** `| \`VARIABLE\` | modes | meaning | default |` rows of §6. */
const rows = new Map(
  [...doc.matchAll(/^\| `(PARLEY_AUTH_[A-Z_]+)` \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$/gm)].map((m) => [
    m[1] as string,
    { modes: (m[2] as string).trim(), default: (m[4] as string).trim() },
  ]),
);

/** Every variable readAuthSettings reads, in each mode (a Proxy records the lookups). */
function variablesRead(): Set<string> {
  const names = new Set<string>();
  const minimal: Record<string, Record<string, string>> = {
    local: {},
    keys: { PARLEY_AUTH_KEYS: '/keys' },
    oidc: { PARLEY_AUTH_ISSUER: 'https://sso.example', PARLEY_AUTH_AUDIENCE: 'parley' },
  };
  for (const [mode, env] of Object.entries(minimal)) {
    const target: Record<string, string> = { PARLEY_AUTH_MODE: mode, ...env };
    const recorded = new Proxy(target, {
      get(t, key) {
        if (typeof key !== 'string') return undefined;
        names.add(key);
        return t[key];
      },
    });
    readAuthSettings(recorded);
  }
  return names;
}

describe('docs/authentication.md', () => {
  it('has one settings row per variable the code reads, and none other', () => {
    expect([...rows.keys()].sort()).toEqual([...variablesRead()].sort());
  });

  it('states the defaults the code applies', () => {
    const local = readAuthSettings({});
    const keys = readAuthSettings({ PARLEY_AUTH_MODE: 'keys', PARLEY_AUTH_KEYS: '/keys' });
    expect(rows.get('PARLEY_AUTH_MODE')?.default).toBe(`\`${local.mode}\``);
    expect(rows.get('PARLEY_AUTH_CLOCK_TOLERANCE')?.default).toBe(`\`${local.clockToleranceSeconds}\``);
    expect(rows.get('PARLEY_AUTH_SUBJECT_CLAIM')?.default).toBe(`\`${local.claims.subject}\``);
    expect(rows.get('PARLEY_AUTH_TENANT_CLAIM')?.default).toBe(`\`${local.claims.tenant}\``);
    expect(rows.get('PARLEY_AUTH_ROLE_CLAIM')?.default).toBe(`\`${local.claims.role}\``);
    expect(rows.get('PARLEY_AUTH_ALGORITHMS')?.default).toBe(`\`${keys.mode === 'keys' ? keys.algorithms.join(',') : ''}\``);
    expect(rows.get('PARLEY_AUTH_KEYS')).toEqual({ modes: 'keys', default: 'required' });
    expect(rows.get('PARLEY_AUTH_JWKS_URL')?.modes).toBe('oidc');
  });

  it('states the fixed JWKS timings of the code', () => {
    expect(doc).toContain(`kept for **${authDefaults.jwksCacheMaxAgeMs / 1000} s**`);
    expect(doc).toContain(`at most once per **${authDefaults.jwksCooldownMs / 1000} s**`);
    expect(doc).toContain(`times out after **${authDefaults.jwksTimeoutMs / 1000} s**`);
    expect(doc).toContain(`remembered for **${VERIFIED_TOKEN_TTL_MS / 1000} s**`);
  });

  it("lists refusal details that the code produces (up to each detail's variable part)", () => {
    const section = doc.slice(doc.indexOf('## 7.'));
    const details = [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => (m[1] as string).split(/ ?["…]/)[0] as string);
    expect(details.length).toBeGreaterThan(8);
    for (const detail of details.filter((d) => d !== 'missing bearer token')) expect(source, detail).toContain(detail);
  });
});

describe('docs/authentication.md examples', () => {
  const section = doc.slice(doc.indexOf('## 4.'), doc.indexOf('## 5.'));
  const blocks = [...section.matchAll(/```(sh|json)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1] as string, text: m[2] as string }));
  const env = (text: string): Record<string, string> =>
    Object.fromEntries([...text.matchAll(/^(PARLEY_[A-Z_]+)=(\S+)/gm)].map((m) => [m[1] as string, m[2] as string]));

  it.each([
    ['Keycloak', 1, { sub: 'alice', tenant: 'acme', role: 'agent' }],
    ['Entra', 3, { sub: '9f6c1a0e-1b2c-4d3e-8f00-1234567890ab', tenant: 'contoso', role: 'agent' }],
  ] as const)('the %s token, read with the settings shown, gives the caller, tenant and role', (_name, at, expected) => {
    expect(blocks.map((b) => b.lang)).toEqual(['sh', 'json', 'sh', 'json', 'sh']);
    const payload = JSON.parse(blocks[at]?.text ?? '') as Record<string, unknown>;
    // The Keycloak block adds to the general OIDC block above it; the Entra block stands alone.
    const settings = readAuthSettings({ ...(at === 1 ? env(blocks[0]?.text ?? '') : {}), ...env(blocks[at + 1]?.text ?? '') });
    expect(settings.mode).toBe('oidc');
    expect(payload.iss).toBe(settings.issuer);
    expect([payload.aud].flat()).toContain(settings.audience[0]);
    expect(claimsFrom(payload, settings.claims)).toMatchObject(expected);
  });
});
