import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/contract/index.ts';
import { HttpOnlyCodes } from '../../src/gateway/index.ts';
import { resolveOptions } from '../../src/gateway/options.ts';
import { routes } from '../../src/gateway/routes.ts';
import { SUPERVISOR_EVENTS_URL } from '../../src/gateway/supervisor-stream.ts';
import { readSettings } from '../../src/process/settings.ts';

/** docs/agent-api.md and docs/operations.md §2 restate facts of the gateway's code: held to it here. */
const read = (name: string) => readFileSync(fileURLToPath(new URL(`../../docs/${name}`, import.meta.url)), 'utf8');
const agentApi = read('agent-api.md');
const operations = read('operations.md');
const settingsSource = readFileSync(fileURLToPath(new URL('../../src/process/settings.ts', import.meta.url)), 'utf8');

function section(doc: string, heading: string): string {
  const start = doc.indexOf(heading);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const end = doc.indexOf('\n## ', start + heading.length);
  return doc.slice(start, end === -1 ? undefined : end);
}

/** Rows of the first markdown table in `text`, as cells without the surrounding pipes. */
function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|[-| ]+\|$/.test(line))
    .map((line) => line.slice(1, -1).split(' | ').map((cell) => cell.trim()));
}

describe('docs/operations.md §2 (settings)', () => {
  const rows = tableRows(section(operations, '## 2. Settings'));
  const documented = new Map(rows.map((r) => [r[0]?.replaceAll('`', '') ?? '', r]));

  it('documents every variable settings.ts reads', () => {
    const read = [...settingsSource.matchAll(/env(?:\.|, ')([A-Z_]+)/g)].map((m) => m[1] as string);
    expect(read.length).toBeGreaterThan(10);
    for (const name of read) expect(documented.has(name), `${name} has no row`).toBe(true);
  });

  it('states the gateway settings’ defaults, which are GatewayOptions’ defaults', () => {
    const settings = readSettings({});
    const options = resolveOptions({ nc: {} as never, db: {} as never, secret: 'x' });
    expect(settings.rateLimitPerToken).toBe(options.rateLimit.perToken);
    expect(settings.rateLimitPerIp).toBe(options.rateLimit.perIp);
    expect(settings.bodyLimitBytes).toBe(options.bodyLimitBytes);
    expect(settings.corsOrigins).toEqual(options.corsOrigins);
    expect(settings.trustedProxies).toEqual(options.trustedProxies);
    // The window the doc's "per minute" means.
    expect(options.rateLimit.windowMs).toBe(60_000);

    const defaultOf = (name: string) => documented.get(name)?.at(-1) ?? '';
    expect(defaultOf('PARLEY_RATE_LIMIT')).toBe(`\`${settings.rateLimitPerToken}\``);
    expect(defaultOf('PARLEY_RATE_LIMIT_IP')).toBe(`\`${settings.rateLimitPerIp}\``);
    expect(defaultOf('PARLEY_BODY_LIMIT')).toContain(`\`${settings.bodyLimitBytes}\``);
    expect(defaultOf('PARLEY_CORS_ORIGINS')).toBe('none');
    expect(defaultOf('PARLEY_OPS_PORT')).toBe(`\`${settings.opsPort}\``);
  });
});

describe('docs/agent-api.md', () => {
  it('lists exactly the routes the gateway declares, and no /metrics', () => {
    const table = section(agentApi, '## 4. Routes');
    const listed = [...table.matchAll(/^\| `(GET|PUT|POST|DELETE) (\/[^`]*)` \|/gm)].map((m) => `${m[1]} ${m[2]}`);
    const declared = [...routes.map((r) => `${r.method} ${r.url}`), 'GET /v1/agents/:agentId/events', `GET ${SUPERVISOR_EVENTS_URL}`];
    expect(listed.sort()).toEqual(declared.sort());
  });

  it('documents every HTTP-only problem code with its status, and the catalog codes it names with theirs', () => {
    const rows = tableRows(section(agentApi, '## 3. Conventions and errors')).filter((r) => /^\d{3}$/.test(r[0] ?? ''));
    const status = new Map(rows.map((r) => [r[1]?.replaceAll('`', '') ?? '', Number(r[0])]));
    for (const [code, { status: expected }] of Object.entries(HttpOnlyCodes)) expect(status.get(code), code).toBe(expected);
    for (const [code, documented] of status) {
      const known = (ErrorCodes as Record<string, { status: number }>)[code] ?? (HttpOnlyCodes as Record<string, { status: number }>)[code];
      expect(known?.status, code).toBe(documented);
    }
  });
});
