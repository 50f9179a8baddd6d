import { createHmac, randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { ensureStreams } from '../src/bus/index.ts';
import { startChannelService, staticSecrets } from '../src/channel-service/index.ts';
import { ChannelResource, ConfigRegistry } from '../src/config/index.ts';
import { encode, inboundMsgId, subjects, type DeliveryReceipt, type InboundMessage } from '../src/contract/index.ts';
import { createLogger } from '../src/observability/index.ts';
import { migrateToLatest, openStore } from '../src/store/index.ts';
import { answers } from '../test/support/provider-fakes/answers.ts';
import { ProviderFake } from '../test/support/provider-fakes/provider-fake.ts';
import { freePort, startTestServices } from '../test/support/services.ts';
import { fixture } from '../test/channels/fixtures.ts';

/**
 * The channels role on real NATS and PostgreSQL, with WhatsApp's API played by a local fake:
 * - signed webhooks per second, each verified, parsed, published (after the PubAck) and its
 *   customer's window recorded; baseline: a raw JetStream publish of the same InboundMessages;
 * - outbound sends per second at an unlimited rate (publish → provider call → `sent`
 *   receipt published); baseline: a raw JetStream publish of the same OutboundMessages;
 * - the pacing error at a configured rate: the provider's observed rate against the Channel's.
 * BENCH_SCALE shrinks the counts for a quick look.
 */
const scale = Number(process.env.BENCH_SCALE ?? 1);
const WEBHOOKS = Math.round(4000 * scale);
const SENDS = Math.round(4000 * scale);
const PACED = Math.max(20, Math.round(200 * scale));
// Below the unlimited send rate measured on a loaded 2-core machine, so that the pace (not throughput) is what is measured.
const PACED_RATE = 20;
const CONCURRENCY = 32;
const tenant = 'bench';
const appSecret = 'bench-app-secret';

async function inParallel<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

export async function runChannelsBenchmark(): Promise<unknown> {
  const services = await startTestServices();
  const store = await openStore({ url: services.databaseUrl });
  await migrateToLatest(store.db);
  const nc = await connect({ servers: services.natsUrl });
  await ensureStreams(nc);
  const fake = await ProviderFake.start(() => answers.whatsapp.accepted());
  const provider = (phoneNumberId: string) => ({ whatsapp: { phoneNumberId, baseUrl: fake.url, secrets: { appSecret: { name: 'wa', key: 'app-secret' }, accessToken: { name: 'wa', key: 'token' }, verifyToken: { name: 'wa', key: 'verify' } } } });
  const config = new ConfigRegistry();
  config.apply([
    ChannelResource.parse({ apiVersion: 'parley.dev/v1alpha1', kind: 'Channel', metadata: { name: 'whatsapp', namespace: tenant }, spec: { type: 'whatsapp', queue: 'support', provider: provider('106540352242922'), rateLimit: { messagesPerSecond: 10_000, burst: 10_000 } } }),
    ChannelResource.parse({ apiVersion: 'parley.dev/v1alpha1', kind: 'Channel', metadata: { name: 'paced', namespace: tenant }, spec: { type: 'whatsapp', queue: 'support', provider: provider('106540352242923'), rateLimit: { messagesPerSecond: PACED_RATE, burst: 1 } } }),
  ]);
  const port = await freePort();
  const channels = await startChannelService({
    nc,
    db: store.db,
    config,
    secrets: staticSecrets({ [tenant]: { wa: { 'app-secret': appSecret, token: 't', verify: 'v' } } }),
    registry: new Registry(),
    logger: createLogger({}, { level: 'error' }),
    port,
    publicBaseUrl: `http://127.0.0.1:${port}`,
  });
  try {
    // 1. Signed webhooks, one customer each (their windows open for step 2).
    const template = JSON.parse(fixture('whatsapp', 'text.json').toString('utf8')) as { entry: [{ changes: [{ value: { contacts: [{ wa_id: string }]; messages: [Record<string, unknown>] } }] }] };
    const phones = Array.from({ length: WEBHOOKS }, (_, i) => `1650${String(1_000_000 + i).padStart(7, '0')}`);
    const bodies = phones.map((phone, i) => {
      const value = template.entry[0].changes[0].value;
      value.contacts[0].wa_id = phone;
      Object.assign(value.messages[0], { from: phone, id: `wamid.bench${i}`, timestamp: String(Math.floor(Date.now() / 1000)) });
      return Buffer.from(JSON.stringify(template));
    });
    let start = performance.now();
    await inParallel(bodies, CONCURRENCY, async (body) => {
      const res = await fetch(`http://127.0.0.1:${port}/webhooks/${tenant}/whatsapp`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}` } });
      if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
    });
    const webhookSeconds = (performance.now() - start) / 1000;
    const js = jetstream(nc);
    const inbound: InboundMessage[] = phones.map((phone, i) => ({ version: 1, tenant, channel: 'whatsapp-raw', messageId: `raw${i}`, timestamp: new Date().toISOString(), from: { id: `+${phone}`, idType: 'phone', name: 'Sheena Nelson' }, text: 'Does it come in another color?' }));
    start = performance.now();
    await inParallel(inbound, CONCURRENCY, (m) => js.publish(subjects.inbound(tenant, m.channel), encode(m), { msgID: inboundMsgId(tenant, m.channel, m.messageId) }));
    const rawInboundSeconds = (performance.now() - start) / 1000;

    // 2. Outbound sends at an unlimited rate, to customers inside their window.
    const sent = new Set<string>();
    let allSent: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (allSent = resolve));
    const sub = nc.subscribe(subjects.receipts(tenant, 'whatsapp'), {
      callback: (_e, msg) => {
        const r = msg.json<DeliveryReceipt>();
        if (r.status === 'sent') sent.add(r.messageId);
        if (sent.size === SENDS) allSent();
      },
    });
    const outbound = phones.slice(0, SENDS).map((phone) => ({ version: 1, id: randomUUID(), tenant, channel: 'whatsapp', conversationId: randomUUID(), to: { id: `+${phone}`, idType: 'phone' }, timestamp: new Date().toISOString(), text: 'Yes, in blue and in green.' }));
    start = performance.now();
    await inParallel(outbound, CONCURRENCY, (m) => js.publish(subjects.outbound(tenant, 'whatsapp'), encode(m), { msgID: m.id }));
    await done;
    const sendSeconds = (performance.now() - start) / 1000;
    sub.unsubscribe();
    start = performance.now();
    await inParallel(outbound, CONCURRENCY, (m) => js.publish(subjects.outbound(tenant, 'whatsapp-raw'), encode({ ...m, id: randomUUID(), channel: 'whatsapp-raw' }), { msgID: `raw-${m.id}` }));
    const rawOutboundSeconds = (performance.now() - start) / 1000;

    // 3. Pacing error at a configured rate: templates (no window needed) to distinct customers.
    const before = fake.calls.length;
    const paced = Array.from({ length: PACED }, (_, i) => ({ version: 1, id: randomUUID(), tenant, channel: 'paced', conversationId: randomUUID(), to: { id: `+1650${String(2_000_000 + i)}`, idType: 'phone' }, timestamp: new Date().toISOString(), template: { name: 'order_update', language: 'en_US' } }));
    await inParallel(paced, CONCURRENCY, (m) => js.publish(subjects.outbound(tenant, 'paced'), encode(m), { msgID: m.id }));
    const calls = await fake.received(before + PACED, 120_000);
    const times = calls.slice(before).map((c) => c.at).sort((a, b) => a - b);
    const observedRate = (PACED - 1) / ((times.at(-1)! - times[0]!) / 1000);

    const webhooksPerSecond = WEBHOOKS / webhookSeconds;
    const rawInboundPerSecond = WEBHOOKS / rawInboundSeconds;
    const sendsPerSecond = SENDS / sendSeconds;
    const rawOutboundPerSecond = SENDS / rawOutboundSeconds;
    return {
      benchmark: 'channels',
      webhooks: WEBHOOKS,
      webhooksPerSecond: Math.round(webhooksPerSecond),
      baselineRawInboundPublishPerSecond: Math.round(rawInboundPerSecond),
      webhookRatio: Number((webhooksPerSecond / rawInboundPerSecond).toFixed(3)),
      sends: SENDS,
      sendsPerSecond: Math.round(sendsPerSecond),
      baselineRawOutboundPublishPerSecond: Math.round(rawOutboundPerSecond),
      sendRatio: Number((sendsPerSecond / rawOutboundPerSecond).toFixed(3)),
      pacing: { configuredPerSecond: PACED_RATE, sends: PACED, observedPerSecond: Number(observedRate.toFixed(2)), errorPercent: Number(((Math.abs(observedRate - PACED_RATE) / PACED_RATE) * 100).toFixed(2)), targetPercent: 1 },
    };
  } finally {
    await channels.close();
    await fake.close();
    await nc.drain();
    await store.close();
    await services.stop();
  }
}
