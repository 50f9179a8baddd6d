import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { parse } from 'csv-parse/sync';
import type { NatsConnection } from '@nats-io/transport-node';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectBus, ensureStreams } from '../../src/bus/index.ts';
import { streams, subjects } from '../../src/contract/index.ts';
import { addDncEntries, recordOptOut, saveDncList } from '../../src/compliance/index.ts';
import { addContact, importContacts, saveContactList } from '../../src/contacts/index.ts';
import {
  exportCampaignOutcomes,
  campaignDb,
  campaignProgress,
  findCampaignReply,
  findCampaignRun,
  sendCampaignCommand,
  startCampaignService,
  type CampaignHost,
  type CampaignService,
} from '../../src/campaigns/index.ts';
import type { Resource } from '../../src/config/index.ts';
import { migrateToLatest, openStore, type Store } from '../../src/store/index.ts';
import { createLogger } from '../../src/observability/index.ts';
import { startTestServices, type TestServices } from '../support/services.ts';
import { waitFor } from '../support/wait-for.ts';
import type { Router } from '../../src/router/index.ts';
import { FakeClock, FakeProvider, campaignResources, daytimeClock, registryOf, startCampaignRouter } from './support.ts';

let testServices: TestServices;
const ctx = {} as { store: Store };
let nc: NatsConnection;
let provider: FakeProvider;
const services: CampaignService[] = [];
let router: Router;

beforeAll(async () => {
  testServices = await startTestServices();
  ctx.store = await openStore({ url: testServices.databaseUrl });
  await migrateToLatest(ctx.store.db);
  nc = await connectBus({ url: testServices.natsUrl });
  await ensureStreams(nc);
  router = await startCampaignRouter(nc, ctx.store.db);
  provider = await new FakeProvider(nc, (m) => (m.to.id === '+12125551999' ? 'UnknownDestination' : undefined)).start();
});

afterAll(async () => {
  for (const s of services) await s.stop();
  await router?.stop();
  await provider?.stop();
  await nc?.drain();
  await ctx.store?.close();
  await testServices?.stop();
});

const phone = (i: number) => `+1212555${String(1000 + i)}`;

async function makeList(tenant: string, listId: string, count: number, extra: (i: number) => Record<string, string> = () => ({})): Promise<void> {
  await saveContactList(ctx.store.db, { tenant, id: listId, name: listId });
  const rows = Array.from({ length: count }, (_, i) => ({ id: `c${i}`, phone: phone(i), first_name: `Name${i}`, ...extra(i) }));
  const header = Object.keys(rows[0]!);
  const csv = [header.join(','), ...rows.map((r) => header.map((h) => (r as Record<string, string>)[h] ?? '').join(','))].join('\n') + '\n';
  const result = await importContacts(Readable.from([csv]), { tenant, listId, database: ctx.store.db });
  expect(result.rejectedCount).toBe(0);
}

/** A campaign service for these resources, over the test's router (each test's campaigns are its own). */
async function start(resources: Resource[], options: { now?: () => Date; host?: CampaignHost; idleCheckMs?: number } = {}): Promise<CampaignService> {
  const service = await startCampaignService({
    nc,
    db: ctx.store.db,
    config: registryOf(resources),
    host: options.host ?? router.campaigns,
    scanMs: 100,
    tickMs: 50,
    ...(options.idleCheckMs !== undefined && { idleCheckMs: options.idleCheckMs }),
    now: options.now ?? daytimeClock(),
    logger: createLogger({ component: 'campaigns-test' }, { level: 'warn' }),
  });
  services.push(service);
  return service;
}

const runOf = (tenant: string, name: string) => findCampaignRun(campaignDb(ctx.store.db), tenant, name);
const attempts = (tenant: string, name: string) => campaignDb(ctx.store.db).selectFrom('campaign_attempts').selectAll().where('tenant', '=', tenant).where('campaign', '=', name).execute();

describe('a campaign run', () => {
  it('sends one templated message per contact, skips do-not-contact entries with the reason, records receipts and exports outcomes', async () => {
    await makeList('t1', 'spring', 12, (i): Record<string, string> => (i === 3 ? { first_name: '' } : {}));
    await saveDncList(ctx.store.db, { tenant: 't1', id: 'blocked', name: 'Blocked', channelKind: 'sms' });
    await addDncEntries(ctx.store.db, 't1', 'blocked', [{ address: phone(5) }, { address: phone(7) }], { source: 'test' });
    await start(campaignResources({ tenant: 't1', campaign: 'spring', listId: 'spring', doNotContact: ['blocked'] }));
    await waitFor(async () => ((await runOf('t1', 'spring'))?.state === 'completed' ? true : undefined), { what: 'completed' });
    const progress = await waitFor(async () => {
      const p = await campaignProgress(campaignDb(ctx.store.db), 't1', 'spring', 'spring');
      return p.delivered === 10 ? p : undefined;
    }, { what: 'delivered receipts' });
    expect(progress).toMatchObject({ total: 12, processed: 12, sent: 10, delivered: 10, failed: 0, skipped: 2, skippedByReason: { 'do-not-contact': 2 } });
    const sent = provider.messages.filter((m) => m.tenant === 't1');
    expect(sent).toHaveLength(10);
    expect(sent.find((m) => m.to.id === phone(0))).toMatchObject({ text: 'Hi Name0, spring sale!', origin: { kind: 'campaign', campaign: 'spring' }, to: { idType: 'phone' } });
    expect(sent.find((m) => m.to.id === phone(3))?.text).toBe('Hi there, spring sale!');
    expect(provider.to(phone(5))).toHaveLength(0);
    // The attempt keeps the ids the message went with, and the provider's answers.
    const a0 = (await attempts('t1', 'spring')).find((a) => a.contact_id === 'c0')!;
    const m0 = sent.find((m) => m.to.id === phone(0))!;
    expect(a0).toMatchObject({ message_id: m0.id, conversation_id: m0.conversationId, status: 'delivered', provider_status: 'sent', final_status: 'delivered', channel: 'sms' });
    expect(a0.platform_message_id).toMatch(/^SM/);
    const exported = parse<Record<string, string>>(await text(exportCampaignOutcomes(ctx.store.db, 't1', 'spring', 'spring')), { columns: true });
    expect(exported).toHaveLength(12);
    expect(exported.find((r) => r.id === 'c5')).toMatchObject({ outcome: 'skipped', reason: 'do-not-contact', phone: phone(5) });
    expect(exported.find((r) => r.id === 'c0')).toMatchObject({ outcome: 'delivered', provider_answer: 'sent', final_receipt: 'delivered', message_id: m0.id, first_name: 'Name0' });
    // The router reads the same receipts: it leaves a campaign message's to the campaign service, and dead-letters none.
    const jsm = await jetstreamManager(nc);
    await waitFor(async () => {
      const { num_pending, num_ack_pending } = await jsm.consumers.info(streams.inbound.name, 'parley-router-inbound');
      return num_pending + num_ack_pending === 0 ? true : undefined;
    }, { what: 'the router through the receipts' });
    const deadLetters = await jsm.streams.info(streams.deadLetters.name, { subjects_filter: subjects.deadLetter('receipts') });
    expect(deadLetters.state.subjects?.[subjects.deadLetter('receipts')] ?? 0).toBe(0);
  });

  it('records a provider rejection as failed with its reason', async () => {
    await saveContactList(ctx.store.db, { tenant: 't6', id: 'l', name: 'l' });
    await importContacts(Readable.from(['id,phone\nok,+12125551998\nbad,+12125551999\n']), { tenant: 't6', listId: 'l', database: ctx.store.db });
    await start(campaignResources({ tenant: 't6', campaign: 'c', listId: 'l', template: 'Hello' }));
    const progress = await waitFor(async () => {
      const p = await campaignProgress(campaignDb(ctx.store.db), 't6', 'c', 'l');
      return p.failed === 1 && p.delivered === 1 ? p : undefined;
    }, { what: 'receipts' });
    expect(progress).toMatchObject({ processed: 2, sent: 1, failed: 1 });
    const bad = (await attempts('t6', 'c')).find((a) => a.contact_id === 'bad')!;
    expect(bad).toMatchObject({ status: 'failed', reason: 'UnknownDestination', provider_status: 'failed' });
  });

  it('never publishes to a number that opts out mid-campaign (STOP), and skips it with the reason', async () => {
    await makeList('t2', 'stop', 30);
    // 10 a second: the opt-out below lands long before contact 25's turn.
    await start(campaignResources({ tenant: 't2', campaign: 'stop', listId: 'stop', perMinute: 600 }));
    await waitFor(() => (provider.messages.filter((m) => m.tenant === 't2').length >= 3 ? true : undefined), { what: 'the first messages' });
    await recordOptOut(ctx.store.db, { tenant: 't2', address: phone(25), method: 'keyword', keyword: 'STOP', channel: 'sms', channelKind: 'sms', source: 'test' });
    await waitFor(async () => ((await runOf('t2', 'stop'))?.state === 'completed' ? true : undefined), { what: 'completed', timeoutMs: 20_000 });
    await waitFor(() => (provider.messages.filter((m) => m.tenant === 't2').length >= 29 ? true : undefined), { what: 'the other 29 at the provider' });
    expect(provider.to(phone(25))).toHaveLength(0);
    expect(provider.to(phone(26))).toHaveLength(1);
    const a25 = (await attempts('t2', 'stop')).find((a) => a.contact_id === 'c25')!;
    expect(a25).toMatchObject({ status: 'skipped', reason: 'opted-out' });
  });

  it('pause and resume from the API: nothing is sent while paused, and every contact is attempted exactly once', async () => {
    await makeList('t3', 'pause', 40);
    await start(campaignResources({ tenant: 't3', campaign: 'pause', listId: 'pause', perMinute: 1200 }));
    const mine = () => provider.messages.filter((m) => m.tenant === 't3');
    await waitFor(() => (mine().length >= 5 ? true : undefined), { what: 'some messages' });
    await sendCampaignCommand(nc, { tenant: 't3', name: 'pause', event: { type: 'pause', at: new Date().toISOString() } });
    // What was decided before the pause is published; then nothing more is written.
    const decided = (await attempts('t3', 'pause')).length;
    await waitFor(() => (mine().length === decided ? true : undefined), { what: 'in-flight messages delivered' });
    expect(decided).toBeLessThan(40);
    expect((await attempts('t3', 'pause')).length).toBe(decided);
    await sendCampaignCommand(nc, { tenant: 't3', name: 'pause', event: { type: 'resume', at: new Date().toISOString() } });
    await waitFor(async () => ((await runOf('t3', 'pause'))?.state === 'completed' ? true : undefined), { what: 'completed', timeoutMs: 20_000 });
    const all = await attempts('t3', 'pause');
    expect(all).toHaveLength(40);
    await waitFor(() => (mine().length >= 40 ? true : undefined), { what: 'every message at the provider' });
    const perAddress = new Map<string, number>();
    for (const m of mine()) perAddress.set(m.to.id, (perAddress.get(m.to.id) ?? 0) + 1);
    expect(perAddress.size).toBe(40);
    expect([...perAddress.values()].every((n) => n === 1)).toBe(true);
  });

  it('a paused run waits for its actor to change state, not for a timer: one idle look, then the resume wakes it', async () => {
    await makeList('t21', 'nap', 30);
    // Every batch the runner runs in its partition, and those that found the campaign not running.
    let batches = 0;
    let idle = 0;
    const counted: CampaignHost = {
      ...router.campaigns,
      run: async (partition, work) => {
        batches++;
        const result = await router.campaigns.run(partition, work);
        if ((result as { kind?: string } | undefined)?.kind === 'idle') idle++;
        return result;
      },
    };
    // Ten minutes: within the test, only the wake-up can end the pause.
    const service = await start(campaignResources({ tenant: 't21', campaign: 'nap', listId: 'nap', perMinute: 600 }), { host: counted, idleCheckMs: 600_000 });
    const mine = () => provider.messages.filter((m) => m.tenant === 't21');
    await waitFor(() => (mine().length >= 3 ? true : undefined), { what: 'some messages' });
    await sendCampaignCommand(nc, { tenant: 't21', name: 'nap', event: { type: 'pause', at: new Date().toISOString() } });
    await waitFor(() => (idle >= 1 ? true : undefined), { what: 'the run finding its campaign paused' });
    const whilePaused = batches;
    // A status look in between (as every scan): it does not wake the run.
    await service.scan();
    expect(batches).toBe(whilePaused);
    await sendCampaignCommand(nc, { tenant: 't21', name: 'nap', event: { type: 'resume', at: new Date().toISOString() } });
    await waitFor(async () => ((await runOf('t21', 'nap'))?.state === 'completed' ? true : undefined), { what: 'completed', timeoutMs: 20_000 });
    expect(idle).toBe(1);
    expect(await attempts('t21', 'nap')).toHaveLength(30);
  });

  it('leaves a campaign to the service of its partition\'s owner: a process that does not own it neither creates its run nor prepares it', async () => {
    await makeList('t22', 'elsewhere', 2);
    const bystander = await start(campaignResources({ tenant: 't22', campaign: 'elsewhere', listId: 'elsewhere' }), { host: { ...router.campaigns, owns: () => false } });
    await bystander.scan();
    expect(await runOf('t22', 'elsewhere')).toBeUndefined();
  });

  it('looks at an unchanged campaign without writing its run row, waiting to start or completed', async () => {
    await makeList('t20', 'quiet', 3);
    const service = await start(campaignResources({ tenant: 't20', campaign: 'quiet', listId: 'quiet', perMinute: 1200, paused: true }));
    // A new row version at each look would be a write (WAL, a dead tuple) and a lock the owner's batches wait on.
    const rowVersion = async () => (await sql<{ v: string }>`select xmin::text as v from campaign_runs where tenant = 't20' and name = 'quiet'`.execute(ctx.store.db)).rows[0]?.v;
    // Declared paused: it waits for the API to start it.
    await waitFor(async () => ((await runOf('t20', 'quiet'))?.spec_paused === true ? true : undefined), { what: 'its spec applied' });
    await service.scan();
    const waiting = await rowVersion();
    await service.scan();
    await service.scan();
    expect(await rowVersion()).toBe(waiting);

    await sendCampaignCommand(nc, { tenant: 't20', name: 'quiet', event: { type: 'start', at: new Date().toISOString() } });
    await waitFor(async () => ((await runOf('t20', 'quiet'))?.state === 'completed' ? true : undefined), { what: 'completed' });
    const completed = await rowVersion();
    await service.scan();
    await service.scan();
    expect(await rowVersion()).toBe(completed);
  });

  it('a contact added at the top of the list during the run is reached too, once', async () => {
    await makeList('t9', 'top', 10);
    await start(campaignResources({ tenant: 't9', campaign: 'top', listId: 'top', perMinute: 600 }));
    const mine = () => provider.messages.filter((m) => m.tenant === 't9');
    await waitFor(() => (mine().length >= 3 ? true : undefined), { what: 'some messages' });
    await addContact(ctx.store.db, 't9', 'top', { id: 'vip', phone: '+12125559999', columns: { first_name: 'Vip' } }, { top: true });
    await waitFor(async () => ((await runOf('t9', 'top'))?.state === 'completed' ? true : undefined), { what: 'completed', timeoutMs: 20_000 });
    await waitFor(() => (mine().length >= 11 ? true : undefined), { what: 'every message at the provider' });
    expect(mine().filter((m) => m.to.id === '+12125559999')).toHaveLength(1);
    expect(await attempts('t9', 'top')).toHaveLength(11);
    expect(mine()).toHaveLength(11);
  });
});

describe('quiet hours by recipient time zone (fake clock)', () => {
  it('sends inside each recipient\'s window and holds the others until their window opens: New York, Los Angeles, Paris, and a 310 number', async () => {
    await saveContactList(ctx.store.db, { tenant: 't4', id: 'zones', name: 'zones' });
    const imported = await importContacts(
      Readable.from([
        'id,phone,time_zone,city\n' +
          'ny,+12125550123,America/New_York,New York\n' +
          'la,+12125550124,America/Los_Angeles,Los Angeles\n' +
          'paris,+33612345678,Europe/Paris,Paris\n' +
          'areacode,+13105550123,,Santa Monica\n',
      ]),
      { tenant: 't4', listId: 'zones', database: ctx.store.db },
    );
    expect(imported.rejected).toEqual([]);
    // Monday 7 December 2026, 14:00 UTC: 09:00 in New York, 06:00 in Los Angeles, 15:00 in Paris.
    const clock = new FakeClock(new Date('2026-12-07T14:00:00Z'));
    // The fake clock jumps: a run sleeping until the next window by it looks again within idleCheckMs.
    await start(campaignResources({ tenant: 't4', campaign: 'zones', listId: 'zones', template: 'Hello {{ city }}', window: { start: '09:00', end: '20:00', timeZone: 'UTC' } }), { now: clock.now, idleCheckMs: 200 });
    const mine = () => provider.messages.filter((m) => m.tenant === 't4').map((m) => m.to.id);
    await waitFor(async () => ((await attempts('t4', 'zones')).length === 4 ? true : undefined), { what: 'all decided' });
    await waitFor(() => (mine().length === 2 ? true : undefined), { what: 'New York and Paris' });
    expect(mine().sort()).toEqual(['+12125550123', '+33612345678']);
    const waiting = (await attempts('t4', 'zones')).filter((a) => a.status === 'waiting');
    expect(waiting.map((a) => [a.contact_id, a.due_at?.toISOString()]).sort()).toEqual([
      ['areacode', '2026-12-07T17:00:00.000Z'],
      ['la', '2026-12-07T17:00:00.000Z'],
    ]);
    expect((await runOf('t4', 'zones'))?.state).toBe('running');
    // 17:00 UTC: 09:00 in Los Angeles.
    clock.set('2026-12-07T17:00:00Z');
    await waitFor(async () => ((await runOf('t4', 'zones'))?.state === 'completed' ? true : undefined), { what: 'completed' });
    await waitFor(() => (mine().length >= 4 ? true : undefined), { what: 'every message at the provider' });
    expect(mine().sort()).toEqual(['+12125550123', '+12125550124', '+13105550123', '+33612345678']);
  });
});

describe('readiness', () => {
  it('a campaign whose list does not exist reports ListNotFound and sends nothing; a missing channel reports ChannelNotFound', async () => {
    await start([...campaignResources({ tenant: 't5', campaign: 'nolist', listId: 'missing' }), ...campaignResources({ tenant: 't5b', campaign: 'nochannel', listId: 'x', withChannel: false })]);
    const noList = await waitFor(async () => (await runOf('t5', 'nolist'))?.ready ?? undefined, { what: 'ready problem' });
    expect(noList).toEqual({ reason: 'ListNotFound', message: 'the contact list "missing" does not exist in t5' });
    expect((await runOf('t5', 'nolist'))?.state).toBe('scheduled');
    const noChannel = await waitFor(async () => (await runOf('t5b', 'nochannel'))?.ready ?? undefined, { what: 'ready problem' });
    expect(noChannel.reason).toBe('ChannelNotFound');
  });

  it('a template naming a column the list lacks is refused with the name', async () => {
    await makeList('t7', 'tpl', 2);
    await start(campaignResources({ tenant: 't7', campaign: 'tpl', listId: 'tpl', template: 'Hi {{ first_name }}, your code is {{ coupon }}' }));
    const problem = await waitFor(async () => (await runOf('t7', 'tpl'))?.ready ?? undefined, { what: 'ready problem' });
    expect(problem.reason).toBe('InvalidTemplate');
    expect(problem.message).toContain('"coupon"');
    expect(await attempts('t7', 'tpl')).toHaveLength(0);
  });
});

describe('replies', () => {
  it('finds the campaign conversation of a reply within the reply window, and none after it', async () => {
    await makeList('t8', 'rep', 1);
    const resources = campaignResources({ tenant: 't8', campaign: 'rep', listId: 'rep', replies: { queue: 'sales', window: '1h' } });
    await start(resources);
    await waitFor(async () => ((await runOf('t8', 'rep'))?.state === 'completed' ? true : undefined), { what: 'completed' });
    const sent = provider.to(phone(0)).find((m) => m.tenant === 't8')!;
    const config = registryOf(resources);
    const reply = await findCampaignReply(ctx.store.db, config, { tenant: 't8', channel: 'sms', address: phone(0), at: new Date() });
    expect(reply).toMatchObject({ campaign: 'rep', conversationId: sent.conversationId, queue: 'sales' });
    expect(await findCampaignReply(ctx.store.db, config, { tenant: 't8', channel: 'sms', address: phone(0), at: new Date(Date.now() + 2 * 3_600_000) })).toBeUndefined();
    expect(await findCampaignReply(ctx.store.db, config, { tenant: 't8', channel: 'sms', address: phone(1), at: new Date() })).toBeUndefined();
  });
});
