import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { connectBus, ensureStreams } from '../src/bus/index.ts';
import { campaignDb, campaignProgress, findCampaignRun, startCampaignService } from '../src/campaigns/index.ts';
import { addDncEntries, saveDncList } from '../src/compliance/index.ts';
import { ConfigRegistry, Resource } from '../src/config/index.ts';
import { importContacts, saveContactList } from '../src/contacts/index.ts';
import { receiptMsgId, streams, subjects, type DeliveryReceipt, type OutboundMessage } from '../src/contract/index.ts';
import { migrateToLatest, openStore, type Database, type Store } from '../src/store/index.ts';
import { Registry } from 'prom-client';
import { createLogger } from '../src/observability/index.ts';
import { startRouter } from '../src/router/index.ts';
import { startTestServices } from '../test/support/services.ts';

/**
 * A 100,000-contact SMS campaign, 10 % of its numbers on a do-not-contact list, templated,
 * unpaced, dispatched to PARLEY_OUTBOUND while a fake provider consumes the stream and
 * answers each message with a `delivered` receipt that the campaign records: dispatched
 * messages per second (target 5,000/s) and peak memory. Then a paced run (100 a second,
 * 1,500 contacts) for the pacing error. Baseline, same run: the same rendered payloads
 * published raw to JetStream the same way (batches of concurrent publishes).
 * The quiet-hours clock is fixed at Monday noon in New York, so every contact is in its window.
 * The campaign service and the router it runs over get their own pool of 4 connections
 * whose statements are counted (BEGIN and COMMIT included; receipts too; not the
 * router's partition leases): database statements per message dispatched.
 */
const CONTACTS = Math.round(100_000 * Number(process.env.BENCH_SCALE ?? 1));
const PACED = 1_500;
const PACED_PER_MINUTE = 6_000;
const TENANT = 'bench';
const MB = 1024 * 1024;
const areaCodes = ['212', '310', '415', '617', '312', '713', '206', '305', '404', '503'];
const phoneOf = (i: number) => `+1${areaCodes[i % areaCodes.length]}${200 + (Math.floor(i / 10) % 800)}${String(Math.floor(i / 8000)).padStart(4, '0')}`;

function campaign(name: string, listId: string, perMinute: number): unknown {
  return {
    apiVersion: 'parley.dev/v1alpha1',
    kind: 'Campaign',
    metadata: { name, namespace: TENANT },
    spec: {
      channel: 'sms',
      contacts: { listId },
      message: { template: 'Hi {{ first_name | default: "there" }}, your {{ city }} store has 20% off this week. Reply STOP to opt out.' },
      doNotContact: ['bench-dnc'],
      window: { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '08:00', end: '21:00', timeZone: 'America/New_York' },
      pacing: { messagesPerMinute: perMinute },
    },
  };
}

async function loadList(pool: pg.Pool, store: Store, listId: string, count: number, offset: number): Promise<void> {
  await saveContactList(store.db, { tenant: TENANT, id: listId, name: listId });
  function* rows(): Generator<string> {
    yield 'id,phone,first_name,city\n';
    for (let i = offset; i < offset + count; i++) yield `c${i},${phoneOf(i)},Name${i % 997},City ${i % 101}\n`;
  }
  const result = await importContacts(Readable.from(rows()), { tenant: TENANT, listId, database: pool });
  if (result.imported !== count) throw new Error(`list ${listId}: ${result.imported} of ${count} imported (${JSON.stringify(result.rejected.slice(0, 3))})`);
}

/** Consumes PARLEY_OUTBOUND like a provider: keeps each payload, answers with a `delivered` receipt. */
async function fakeProvider(nc: NatsConnection, keep: Uint8Array[], seen: { at: number; campaign: string }[]): Promise<{ stop(): void }> {
  const jsm = await jetstreamManager(nc);
  const name = `bench-provider-${randomUUID().slice(0, 8)}`;
  await jsm.consumers.add(streams.outbound.name, { durable_name: name, ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All, filter_subject: subjects.outbound(TENANT, 'sms') });
  const js = jetstream(nc);
  const messages = await (await js.consumers.get(streams.outbound.name, name)).consume({ max_messages: 2_000 });
  void (async () => {
    for await (const msg of messages) {
      const m = msg.json<OutboundMessage>();
      keep.push(msg.data);
      seen.push({ at: performance.now(), campaign: m.origin?.kind === 'campaign' ? m.origin.campaign : '' });
      const receipt: DeliveryReceipt = { version: 1, tenant: m.tenant, channel: m.channel, messageId: m.id, status: 'delivered', timestamp: new Date().toISOString() };
      void js.publish(subjects.receipts(m.tenant, m.channel), JSON.stringify(receipt), { msgID: receiptMsgId(m.id, 'delivered') }).catch(() => undefined);
    }
  })();
  return { stop: () => messages.stop() };
}

export async function runCampaignBenchmark(): Promise<unknown> {
  const services = await startTestServices();
  const store = await openStore({ url: services.databaseUrl, poolSize: 4 });
  const pool = new pg.Pool({ connectionString: services.databaseUrl, max: 2 });
  const nc = await connectBus({ url: services.natsUrl });
  try {
    await migrateToLatest(store.db);
    await ensureStreams(nc);
    await loadList(pool, store, 'big', CONTACTS, 0);
    await loadList(pool, store, 'paced', PACED, CONTACTS);
    await saveDncList(store.db, { tenant: TENANT, id: 'bench-dnc', name: 'bench', channelKind: 'sms' });
    const dnc = Array.from({ length: CONTACTS / 10 }, (_, k) => ({ address: phoneOf(k * 10 + 3) }));
    for (let i = 0; i < dnc.length; i += 5_000) await addDncEntries(store.db, TENANT, 'bench-dnc', dnc.slice(i, i + 5_000), { source: 'bench' });

    const payloads: Uint8Array[] = [];
    const seen: { at: number; campaign: string }[] = [];
    const provider = await fakeProvider(nc, payloads, seen);
    const config = new ConfigRegistry();
    const channel = { apiVersion: 'parley.dev/v1alpha1', kind: 'Channel', metadata: { name: 'sms', namespace: TENANT }, spec: { type: 'sms', queue: 'support' } };
    config.apply([channel, campaign('big', 'big', 1_000_000)].map((r) => Resource.parse(r)));
    const db = campaignDb(store.db);
    // The service's own connections, counted: every statement kysely sends, BEGIN and COMMIT included.
    let statements = 0;
    const serviceDb = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: services.databaseUrl, max: 4 }) }),
      log: (event) => {
        if (event.level === 'query') statements += 1;
      },
    });
    const monday = new Date('2026-12-07T17:00:00Z');

    global.gc?.();
    let peakRss = 0;
    let peakHeap = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 50);
    const started = performance.now();
    // The router whose partition runtime the campaigns run over: its transactions are the service's (counted); its leases are not.
    const router = await startRouter({ nc, db: serviceDb, leaseDb: store.db, config, registry: new Registry(), logger: createLogger({ component: 'bench-router' }, { level: 'warn' }) });
    statements = 0;
    const service = await startCampaignService({ nc, db: serviceDb, config, host: router.campaigns, scanMs: 200, tickMs: 50, maxBatch: 2_500, now: () => monday });
    const waitUntil = async (probe: () => Promise<boolean>) => {
      while (!(await probe())) await new Promise((r) => setTimeout(r, 100));
    };
    await waitUntil(async () => (await findCampaignRun(db, TENANT, 'big'))?.state === 'completed');
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const progress = await campaignProgress(db, TENANT, 'big', 'big');
    const receiptsStart = performance.now();
    await waitUntil(async () => (await campaignProgress(db, TENANT, 'big', 'big')).delivered >= progress.sent);
    const receiptsLagSeconds = (performance.now() - receiptsStart) / 1000;
    const statementsForBig = statements;

    // Pacing: a second campaign at a set rate.
    config.apply([channel, campaign('big', 'big', 1_000_000), campaign('paced', 'paced', PACED_PER_MINUTE)].map((r) => Resource.parse(r)));
    service.configChanged();
    await waitUntil(async () => (await findCampaignRun(db, TENANT, 'paced'))?.state === 'completed');
    await waitUntil(async () => Promise.resolve(seen.filter((s) => s.campaign === 'paced').length >= PACED - PACED / 10));
    const pacedTimes = seen.filter((s) => s.campaign === 'paced').map((s) => s.at);
    const pacedSeconds = (pacedTimes.at(-1)! - pacedTimes[0]!) / 1000;
    const achievedPerSecond = (pacedTimes.length - 1) / pacedSeconds;
    const targetPerSecond = PACED_PER_MINUTE / 60;
    await service.stop();
    await router.stop();
    await serviceDb.destroy();
    provider.stop();

    // Baseline: the same rendered payloads, published raw in batches of 1,000 concurrent publishes.
    const js = jetstream(nc);
    const bigPayloads = payloads.slice(0, progress.sent);
    const baselineStart = performance.now();
    for (let i = 0; i < bigPayloads.length; i += 1_000) {
      await Promise.all(bigPayloads.slice(i, i + 1_000).map((data) => js.publish(subjects.outbound(TENANT, 'baseline'), data, { msgID: randomUUID() })));
    }
    const baselineSeconds = (performance.now() - baselineStart) / 1000;
    const dispatchedPerSecond = Math.round(progress.sent / seconds);
    const baselinePerSecond = Math.round(bigPayloads.length / baselineSeconds);
    return {
      benchmark: 'campaign',
      contacts: CONTACTS,
      sent: progress.sent,
      skipped: progress.skippedByReason,
      seconds: Number(seconds.toFixed(1)),
      dispatchedPerSecond,
      target: 5_000,
      receiptsRecordedWithinSeconds: Number(receiptsLagSeconds.toFixed(1)),
      dbStatements: statementsForBig,
      dbStatementsPerMessage: Number((statementsForBig / Math.max(1, progress.sent)).toFixed(4)),
      peakRssMb: Math.round(peakRss / MB),
      peakHeapMb: Math.round(peakHeap / MB),
      pacing: {
        contacts: PACED,
        targetPerSecond,
        achievedPerSecond: Number(achievedPerSecond.toFixed(1)),
        errorPercent: Number(((100 * (achievedPerSecond - targetPerSecond)) / targetPerSecond).toFixed(2)),
      },
      baseline: { what: 'raw JetStream publish of the same rendered payloads, 1,000 concurrent at a time', seconds: Number(baselineSeconds.toFixed(1)), perSecond: baselinePerSecond },
      ratioToBaseline: Number((dispatchedPerSecond / baselinePerSecond).toFixed(3)),
      loadAverage: (await import('node:os')).loadavg()[0],
    };
  } finally {
    await nc.drain();
    await pool.end();
    await store.close();
    await services.stop();
  }
}
