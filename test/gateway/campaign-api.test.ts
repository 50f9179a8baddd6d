import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, ensureStreams } from '../../src/bus/index.ts';
import { startCampaignService, type CampaignProgress, type CampaignService } from '../../src/campaigns/index.ts';
import { consentHistory, consentState, unsubscribeLinks } from '../../src/compliance/index.ts';
import { ConfigRegistry, type Resource } from '../../src/config/index.ts';
import { signToken, startGateway, type Gateway, type Role } from '../../src/gateway/index.ts';
import type { CampaignStatusView } from '../../src/gateway/campaign-routes.ts';
import { createLogger } from '../../src/observability/index.ts';
import { migrateToLatest, openStore, type Store } from '../../src/store/index.ts';
import { startTestServices, type TestServices } from '../support/services.ts';
import { waitFor } from '../support/wait-for.ts';
import type { Router } from '../../src/router/index.ts';
import { FakeProvider, campaignResources, daytimeClock, startCampaignRouter } from '../campaigns/support.ts';
import { runParley } from '../cli/run-parley.ts';

/**
 * The campaign API end to end: real NATS and PostgreSQL, the gateway, a campaign service
 * running what the API starts, and a fake provider at the far end (docs/campaigns.md §7).
 */

const SECRET = 'campaign-api-test-secret-0123456789';
const UNSUBSCRIBE_SECRET = 'unsubscribe-test-secret-0123456789';
const TENANT = 'capi';
const OTHER = 'capi-other';

let services: TestServices;
let store: Store;
let nc: NatsConnection;
let gateway: Gateway;
let provider: FakeProvider;
let campaigns: CampaignService;
let router: Router;
const config = new ConfigRegistry();
const resources: Resource[] = [];

function declare(...more: Resource[]): void {
  resources.push(...more);
  config.apply(resources);
  campaigns?.configChanged();
}

const token = (role: Role = 'supervisor', tenant = TENANT) => signToken(SECRET, { sub: `${role}-1`, tenant, role });

async function call(method: string, path: string, options: { body?: unknown; csv?: string | Readable; role?: Role; tenant?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${token(options.role, options.tenant)}`, ...options.headers };
  let body: string | ReadableStream | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  } else if (typeof options.csv === 'string') {
    headers['content-type'] = 'text/csv';
    body = options.csv;
  } else if (options.csv) {
    headers['content-type'] = 'text/csv';
    body = Readable.toWeb(options.csv) as ReadableStream;
  }
  const response = await fetch(`${gateway.url}${path}`, { method, headers, body, ...(body instanceof ReadableStream && { duplex: 'half' }) });
  const text = await response.text();
  const json = (response.headers.get('content-type')?.includes('json') && text !== '' ? JSON.parse(text) : {}) as Answer;
  return { status: response.status, text, json, headers: response.headers };
}

/** Any of the routes' answers, loosely: each test asserts the fields it reads. */
interface Answer extends Partial<Omit<CampaignStatusView, 'progress' | 'ready'>> {
  progress: CampaignProgress;
  ready?: { ok: boolean; reason?: string };
  status?: number;
  type?: string;
  detail?: string;
  campaigns: { name: string }[];
  lists: unknown[];
  rejected: { line: number; reason: string }[];
}

beforeAll(async () => {
  services = await startTestServices();
  store = await openStore({ url: services.databaseUrl, poolSize: 6 });
  await migrateToLatest(store.db);
  nc = await connectBus({ url: services.natsUrl });
  await ensureStreams(nc);
  provider = await new FakeProvider(nc).start();
  const links = unsubscribeLinks('https://parley.example.com', UNSUBSCRIBE_SECRET);
  router = await startCampaignRouter(nc, store.db);
  campaigns = await startCampaignService({ nc, db: store.db, config, host: router.campaigns, now: daytimeClock(), scanMs: 100, tickMs: 50, unsubscribeUrl: links, logger: createLogger({ component: 'campaigns-test' }, { level: 'warn' }) });
  gateway = await startGateway({ nc, db: store.db, pool: store.pool, secret: SECRET, config, unsubscribeSecret: UNSUBSCRIBE_SECRET, webAppDir: false, logger: createLogger({ component: 'gateway-test' }, { level: 'warn' }) });
});

afterAll(async () => {
  await gateway?.close();
  await campaigns?.stop();
  await router?.stop();
  await provider?.stop();
  await nc?.drain();
  await store?.close();
  await services?.stop();
});

describe('contact lists over HTTP', () => {
  it('creates a list, streams a CSV in and reports each rejected row with its line and reason', async () => {
    expect((await call('PUT', '/v1/contact-lists/spring', { body: { name: 'Spring', defaultCountry: 'US' } })).json).toMatchObject({ id: 'spring', contacts: 0 });
    // The unclosed quote comes last: the parser cannot find where that row ends.
    const csv = ['id,mobile,first_name', 'c1,(212) 555-1001,Ann', 'c2,12,Bob', 'c4,+12125551001,Dup', 'c3,+12125551003,"Cy'].join('\n') + '\n';
    const result = await call('POST', '/v1/contact-lists/spring/import?phone=mobile', { csv: Readable.from([csv]) });
    expect(result.status).toBe(200);
    expect(result.json).toMatchObject({ rows: 4, imported: 1, duplicates: 1 });
    const reasons = new Map(result.json.rejected.map((r) => [r.line, r.reason]));
    expect(reasons.get(3)).toMatch(/not a (valid )?phone number/);
    expect([...reasons.values()].some((r) => r.startsWith('malformed CSV'))).toBe(true);
    expect([...reasons.values()].some((r) => r.startsWith('duplicate phone number +12125551001'))).toBe(true);
  });

  it('refuses a file whose header lacks the mapped column, and an upload to a missing list, with a problem', async () => {
    const bad = await call('POST', '/v1/contact-lists/spring/import?phone=cell', { csv: 'id,mobile\nc9,+12125551009\n' });
    expect(bad.status).toBe(422);
    expect(bad.json.type).toBe('invalidCsv');
    expect(bad.json.detail).toContain('"cell" is not in the header');
    expect((await call('POST', '/v1/contact-lists/nope/import', { csv: 'phone\n+12125551009\n' })).json).toMatchObject({ status: 404, type: 'unknownContactList' });
  });

  it('adds one contact, at the top when asked, refuses an invalid phone and a duplicate, and exports the list with outcomes', async () => {
    const added = await call('POST', '/v1/contact-lists/spring/contacts', { body: { id: 'vip', phone: '212-555-1005', columns: { first_name: 'Vi' }, top: true } });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ id: 'vip', phone: '+12125551005', top: true });
    const invalid = (await call('POST', '/v1/contact-lists/spring/contacts', { body: { phone: '555' } })).json;
    expect(invalid).toMatchObject({ status: 422, type: 'invalidContact' });
    expect(invalid.detail).toContain('phone number');
    expect((await call('POST', '/v1/contact-lists/spring/contacts', { body: { phone: '+12125551005' } })).json).toMatchObject({ status: 409, type: 'duplicateContact' });
    const exported = await call('GET', '/v1/contact-lists/spring/export');
    expect(exported.headers.get('content-type')).toContain('text/csv');
    const rows = parse<Record<string, string>>(exported.text, { columns: true });
    expect(rows.map((r) => r.id)).toEqual(['vip', 'c1']);
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(['outcome', 'outcome_reason', 'first_name']));
    expect((await call('GET', '/v1/contact-lists')).json.lists).toEqual([expect.objectContaining({ id: 'spring', contacts: 2, defaultCountry: 'US' })]);
  });

  it('is for supervisors and admins: an agent gets 403', async () => {
    for (const [method, path] of [['GET', '/v1/contact-lists'], ['GET', '/v1/contact-lists/spring/export'], ['DELETE', '/v1/contact-lists/spring']] as const) {
      expect((await call(method, path, { role: 'agent' })).status, `${method} ${path}`).toBe(403);
    }
    expect((await call('POST', '/v1/contact-lists/spring/import', { role: 'agent', csv: 'phone\n+12125551009\n' })).status).toBe(403);
  });
});

describe('do-not-contact lists and the consent ledger over HTTP', () => {
  it('creates a list, adds and removes entries, imports and exports CSV', async () => {
    expect((await call('PUT', '/v1/dnc-lists/blocked', { body: { name: 'Blocked', channelKind: 'sms' } })).json).toEqual({ id: 'blocked', name: 'Blocked', channelKind: 'sms' });
    expect((await call('POST', '/v1/dnc-lists/blocked/entries', { body: { entries: [{ address: '+12125551001' }, { address: '(212) 555-1002', note: 'asked' }], defaultCountry: 'US' } })).json).toEqual({ added: 2, alreadyListed: 0 });
    expect((await call('POST', '/v1/dnc-lists/blocked/entries', { body: { entries: [{ address: 'not an address' }] } })).json).toMatchObject({ status: 422, type: 'invalidAddress' });
    const imported = await call('POST', '/v1/dnc-lists/blocked/import?country=US', { csv: 'phone,note\n2125551003,file\nnope,bad\n+12125551001,again\n' });
    expect(imported.json).toMatchObject({ added: 1, alreadyListed: 1, rejectedCount: 1, rejected: [{ line: 3 }] });
    expect((await call('DELETE', `/v1/dnc-lists/blocked/entries/${encodeURIComponent('+12125551002')}`)).json).toEqual({ removed: true });
    const rows = parse<Record<string, string>>((await call('GET', '/v1/dnc-lists/blocked/export')).text, { columns: true });
    expect(rows.map((r) => r.address)).toEqual(['+12125551001', '+12125551003']);
    expect(rows[0]!.source).toBe('api by supervisor-1');
    expect((await call('GET', '/v1/dnc-lists')).json.lists).toEqual([{ id: 'blocked', name: 'Blocked', channelKind: 'sms' }]);
  });

  it('another tenant’s list is a 404, exactly like a missing one', async () => {
    for (const [method, path] of [['GET', '/v1/dnc-lists/blocked/export'], ['DELETE', '/v1/dnc-lists/blocked'], ['DELETE', '/v1/dnc-lists/blocked/entries/%2B12125551001']] as const) {
      expect((await call(method, path, { role: 'admin', tenant: OTHER })).json, `${method} ${path}`).toMatchObject({ status: 404, type: 'unknownDncList' });
    }
    expect((await call('POST', '/v1/dnc-lists/blocked/import', { role: 'admin', tenant: OTHER, csv: 'phone\n+12125551009\n' })).json).toMatchObject({ status: 404 });
    expect((await call('GET', '/v1/dnc-lists', { role: 'admin', tenant: OTHER })).json).toEqual({ lists: [] });
  });
});

describe('campaigns over HTTP', () => {
  it('refuses to start a campaign whose template names an unknown variable, saying which', async () => {
    await call('PUT', '/v1/contact-lists/typo', { body: { name: 'Typo' } });
    await call('POST', '/v1/contact-lists/typo/import', { csv: 'phone,first_name\n+12125552001,Al\n' });
    declare(...campaignResources({ tenant: TENANT, campaign: 'typo', listId: 'typo', template: 'Hi {{ frist_name }}', paused: true }));
    const start = await call('POST', '/v1/campaigns/typo/start');
    expect(start.status).toBe(409);
    expect(start.json.type).toBe('campaignNotReady');
    expect(start.json.detail).toMatch(/^InvalidTemplate: .*"frist_name"/);
    expect((await call('GET', '/v1/campaigns/typo')).json).toMatchObject({ state: 'scheduled', ready: { ok: false, reason: 'InvalidTemplate' } });
    expect(provider.messages.filter((m) => m.origin?.kind === 'campaign' && m.origin.campaign === 'typo')).toEqual([]);
  });

  it('starts, pauses, resumes and stops a campaign declared paused, shows its progress, and exports its attempts', async () => {
    await call('PUT', '/v1/contact-lists/fall', { body: { name: 'Fall' } });
    const csv = ['phone,first_name', ...Array.from({ length: 6 }, (_, i) => `+1212555${3000 + i},N${i}`)].join('\n');
    expect((await call('POST', '/v1/contact-lists/fall/import', { csv })).json).toMatchObject({ imported: 6 });
    await call('PUT', '/v1/dnc-lists/fall-dnc', { body: { name: 'Fall DNC' } });
    await call('POST', '/v1/dnc-lists/fall-dnc/entries', { body: { entries: [{ address: '+12125553002' }] } });
    declare(...campaignResources({ tenant: TENANT, campaign: 'fall', listId: 'fall', paused: true, doNotContact: ['fall-dnc'] }));
    const listed = await waitFor(async () => {
      const r = await call('GET', '/v1/campaigns');
      return r.json.campaigns.some((c) => c.name === 'fall') ? r : undefined;
    });
    expect(listed.json.campaigns).toContainEqual(expect.objectContaining({ name: 'fall', state: 'scheduled', pausedInResource: true }));

    expect((await call('POST', '/v1/campaigns/fall/start')).json).toMatchObject({ state: 'running', ready: { ok: true } });
    const done = await waitFor(async () => {
      const s = (await call('GET', '/v1/campaigns/fall')).json;
      return s.state === 'completed' && s.progress.delivered === 5 ? s : undefined;
    }, { what: 'the campaign to complete with receipts', timeoutMs: 30_000 });
    expect(done.progress).toMatchObject({ total: 6, processed: 6, sent: 5, delivered: 5, skipped: 1, skippedByReason: { 'do-not-contact': 1 } });
    expect(done.startedAt).not.toBeNull();

    // A completed campaign cannot be paused: a clear 409, not a silent no-op.
    expect((await call('POST', '/v1/campaigns/fall/pause')).json).toMatchObject({ status: 409, type: 'campaignStateConflict' });
    const rows = parse<Record<string, string>>((await call('GET', '/v1/campaigns/fall/export')).text, { columns: true });
    expect(rows).toHaveLength(6);
    expect(rows.filter((r) => r.outcome === 'delivered')).toHaveLength(5);
    expect(rows.find((r) => r.phone === '+12125553002')).toMatchObject({ outcome: 'skipped', reason: 'do-not-contact' });
  });

  it('pause holds sending and resume picks up where it stopped; stop ends it for good', async () => {
    await call('PUT', '/v1/contact-lists/hold', { body: { name: 'Hold' } });
    await call('POST', '/v1/contact-lists/hold/import', { csv: ['phone', ...Array.from({ length: 3 }, (_, i) => `+1212555${4000 + i}`)].join('\n') });
    // One message a minute: the first goes at once, the others wait for the pacer while we switch.
    declare(...campaignResources({ tenant: TENANT, campaign: 'hold', listId: 'hold', template: 'Hello', paused: true, perMinute: 1 }));
    await waitFor(async () => ((await call('GET', '/v1/campaigns/hold')).status === 200 ? true : undefined));
    expect((await call('POST', '/v1/campaigns/hold/pause')).json).toMatchObject({ status: 409, type: 'campaignStateConflict' });
    const started = await call('POST', '/v1/campaigns/hold/start');
    expect(started.json, started.text).toMatchObject({ state: 'running' });
    await waitFor(async () => ((await call('GET', '/v1/campaigns/hold')).json.progress.processed === 1 ? true : undefined), { what: 'the first message' });
    expect((await call('POST', '/v1/campaigns/hold/pause')).json.state).toBe('paused');
    expect((await call('POST', '/v1/campaigns/hold/resume')).json.state).toBe('running');
    const stopped = (await call('POST', '/v1/campaigns/hold/stop')).json;
    expect(stopped).toMatchObject({ state: 'stopped', progress: { total: 3, processed: 1 } });
    expect(stopped.endedAt).not.toBeNull();
    expect((await call('POST', '/v1/campaigns/hold/resume')).json).toMatchObject({ status: 409, type: 'campaignStateConflict' });

    declare(...campaignResources({ tenant: TENANT, campaign: 'never', listId: 'hold', template: 'Hello', paused: true }));
    await waitFor(async () => ((await call('GET', '/v1/campaigns/never')).status === 200 ? true : undefined));
    expect((await call('POST', '/v1/campaigns/never/stop')).json.state).toBe('stopped');
    expect((await call('POST', '/v1/campaigns/never/start')).json).toMatchObject({ status: 409, type: 'campaignStateConflict' });
  });

  it('another tenant’s campaign is a 404 for every route; an agent gets 403', async () => {
    for (const path of ['/v1/campaigns/fall', '/v1/campaigns/fall/export']) {
      expect((await call('GET', path, { role: 'admin', tenant: OTHER })).json, path).toMatchObject({ status: 404, type: 'unknownCampaign' });
    }
    for (const action of ['start', 'pause', 'resume', 'stop']) {
      expect((await call('POST', `/v1/campaigns/fall/${action}`, { role: 'admin', tenant: OTHER })).json, action).toMatchObject({ status: 404, type: 'unknownCampaign' });
      expect((await call('POST', `/v1/campaigns/fall/${action}`, { role: 'agent' })).status, action).toBe(403);
    }
    expect((await call('GET', '/v1/campaigns', { role: 'admin', tenant: OTHER })).json).toEqual({ campaigns: [] });
  });
});

describe('one-click unsubscribe (RFC 8058)', () => {
  let url: string;

  beforeAll(async () => {
    await call('PUT', '/v1/contact-lists/news', { body: { name: 'News' } });
    await call('POST', '/v1/contact-lists/news/import', { csv: 'email,first_name\nann@example.com,Ann\n' });
    declare(...campaignResources({ tenant: TENANT, campaign: 'news', listId: 'news', channelType: 'email' }).map((r) => (r.kind === 'Channel' ? { ...r, metadata: { ...r.metadata, name: 'mail' } } : r.kind === 'Campaign' ? { ...r, spec: { ...r.spec, channel: 'mail' } } : r)));
    const sent = await waitFor(() => provider.messages.find((m) => m.origin?.kind === 'campaign' && m.origin.campaign === 'news'), { what: 'the e-mail campaign message' });
    url = sent.email!.listUnsubscribeUrl!;
    expect(url).toMatch(/^https:\/\/parley\.example\.com\/v1\/unsubscribe\//);
  });

  const local = (u: string) => `${gateway.url}${new URL(u).pathname}`;
  const post = (u: string, body: string) => fetch(local(u), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });

  it('GET shows a confirmation page and unsubscribes no one (mail clients prefetch links)', async () => {
    const page = await fetch(local(url));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<form method="post">');
    expect(html).toContain('name="List-Unsubscribe" value="One-Click"');
    expect(await consentState(store.db, TENANT, 'ann@example.com')).toBe('unknown');
  });

  it('a forged or altered token is refused, and a POST without the one-click body does nothing', async () => {
    const [body, sig] = new URL(url).pathname.split('/').at(-1)!.split('.');
    const forged = `${Buffer.from(JSON.stringify({ v: 1, t: TENANT, a: 'bob@example.com', c: 'news' })).toString('base64url')}.${sig}`;
    expect((await post(`https://x/v1/unsubscribe/${forged}`, 'List-Unsubscribe=One-Click')).status).toBe(400);
    expect((await fetch(`${gateway.url}/v1/unsubscribe/${body}.AAAA`)).status).toBe(400);
    expect((await post(url, 'hello')).status).toBe(400);
    expect(await consentState(store.db, TENANT, 'ann@example.com')).toBe('unknown');
  });

  it('POST List-Unsubscribe=One-Click opts the address out of the tenant, once, in the consent ledger', async () => {
    expect((await post(url, 'List-Unsubscribe=One-Click')).status).toBe(200);
    expect((await post(url, 'List-Unsubscribe=One-Click')).status).toBe(200);
    expect(await consentState(store.db, TENANT, 'ann@example.com')).toBe('opted-out');
    expect(await consentHistory(store.db, TENANT, 'ann@example.com')).toEqual([expect.objectContaining({ state: 'opted-out', method: 'unsubscribe', channel_kind: 'email', source: 'campaign news' })]);
    const ledger = parse<Record<string, string>>((await call('GET', '/v1/consent/export')).text, { columns: true });
    expect(ledger).toContainEqual(expect.objectContaining({ address: 'ann@example.com', method: 'unsubscribe' }));
  });
});

describe('the parley CLI against a running gateway', () => {
  const env = () => ({ PARLEY_URL: gateway.url, PARLEY_TOKEN: token('admin') });

  it('`parley contacts import` streams a file, creating the list, and prints the rejected rows by line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-cli-'));
    const file = join(dir, 'contacts.csv');
    await writeFile(file, ['mobile,first_name', '06 12 34 56 78,Ann', 'not-a-number,Bob', '+33698765432,Cy'].join('\n') + '\n');
    const run = await runParley(['contacts', 'import', file, '--list', 'cli', '--country', 'FR', '--map', 'mobile=phone'], env());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('created contact list cli');
    expect(run.stdout).toMatch(/2 imported, 1 rejected \(0 duplicates\) of 3 rows/);
    expect(run.stdout).toMatch(/line 3: not a (valid )?phone number/);
    expect((await call('GET', '/v1/contact-lists/cli')).json).toMatchObject({ contacts: 2, defaultCountry: 'FR' });
  });

  it('`parley campaign status` prints the progress; a start that cannot run exits 1 with the reason', async () => {
    const status = await runParley(['campaign', 'status', 'fall'], env());
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('fall: completed');
    expect(status.stdout).toMatch(/6\/6 processed: 5 sent, 5 delivered, 0 failed, 1 skipped \(do-not-contact 1\)/);
    const refused = await runParley(['campaign', 'start', 'typo'], env());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/409 campaignNotReady — InvalidTemplate: .*"frist_name"/);
    const usage = await runParley(['campaign', 'launch', 'fall'], env());
    expect(usage.code).toBe(2);
  });

  it('`parley dnc add` and `parley dnc export` manage a list', async () => {
    const added = await runParley(['dnc', 'add', 'cli-dnc', '+12125559001', 'ops@example.com', '--kind', 'sms'], env());
    expect(added.stdout).toContain('2 added, 0 already listed');
    const exported = await runParley(['dnc', 'export', 'cli-dnc'], env());
    expect(parse<Record<string, string>>(exported.stdout, { columns: true }).map((r) => r.address)).toEqual(['+12125559001', 'ops@example.com']);
  });
});
