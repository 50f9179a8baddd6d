import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { metricValue } from '../support/parley.ts';
import { ConfigRegistry, ConfigWatcher, deleteManifest, openConfigBucket, putManifest, type Manifest } from '../../src/config/index.ts';
import { migrateToLatest, openStore, type Store } from '../../src/store/index.ts';
import { startRouter, type Router } from '../../src/router/index.ts';
import { createLogger } from '../../src/observability/index.ts';
import type { ConversationContext } from '../../src/conversation/context.ts';

const tenant = 'acme';
const manifest = (kind: 'Channel' | 'Queue', name: string, spec: Record<string, unknown>): Manifest => ({ apiVersion: 'parley.dev/v1alpha1', kind, metadata: { name, namespace: tenant }, spec });

const resources = [
  manifest('Channel', 'whatsapp', {
    type: 'whatsapp',
    queue: 'support',
    inboundFlow: { rules: [{ match: { keywords: ['vip'] }, set: { queue: 'vip' } }, { match: { keywords: ['invoice'] }, set: { queue: 'billing' } }] },
  }),
  manifest('Channel', 'sms', { type: 'sms', queue: 'legacy' }),
  // Olga takes only billing (she gets an offer that rings while it is deleted); alice the others, once she comes.
  manifest('Queue', 'support', { members: { agents: ['alice'] } }),
  manifest('Queue', 'spill', { members: { agents: ['alice'] } }),
  manifest('Queue', 'vip', { overflow: { queue: 'spill' }, members: { agents: ['alice'] } }),
  manifest('Queue', 'billing', { members: { agents: ['olga'] } }),
  manifest('Queue', 'legacy', { members: { agents: ['alice'] } }),
];

interface Node {
  router: Router;
  config: ConfigRegistry;
  watcher: ConfigWatcher;
  registry: Registry;
}

/**
 * Deleting a Queue from the configuration bucket (what the operator does when `kubectl
 * delete queue` finalizes, and the folder sync when a file goes), with two routers on real
 * NATS and PostgreSQL: its conversations move on exactly once, new ones go elsewhere, and
 * nobody is offered anything from it any more.
 */
describe('a deleted queue is taken out of service', () => {
  let services: TestServices;
  let nc: NatsConnection;
  let store: Store;
  let bucket: KV;
  const nodes: Node[] = [];

  beforeAll(async () => {
    services = await startTestServices();
    nc = await connect({ servers: services.natsUrl });
    store = await openStore({ url: services.databaseUrl });
    await migrateToLatest(store.db);
    bucket = await openConfigBucket(nc);
    for (const m of resources) await putManifest(bucket, m);
    for (const nodeId of ['router-a', 'router-b']) {
      const config = new ConfigRegistry();
      const registry = new Registry();
      const holder: { router?: Router } = {};
      const watcher = new ConfigWatcher(bucket, config, { onApplied: () => holder.router?.configChanged() });
      await watcher.start();
      holder.router = await startRouter({ nc, db: store.db, config, registry, nodeId, resyncMs: 500, logger: createLogger({}, { level: 'error' }) });
      nodes.push({ router: holder.router, config, watcher, registry });
    }
    // Both routers own partitions: queue leaders and conversation owners are spread over them.
    await waitFor(() => (nodes.every((n) => n.router.cluster().owned.length > 0) && nodes.reduce((sum, n) => sum + n.router.cluster().owned.length, 0) === 64) || undefined, {
      what: 'the partitions to be shared by both routers',
      timeoutMs: 30_000,
    });
  }, 60_000);

  afterAll(async () => {
    for (const n of nodes) {
      n.watcher.stop();
      await n.router.stop();
    }
    await store?.close();
    await nc?.drain();
    await services?.stop();
  });

  const conversationsOf = (phone: string) =>
    store.db.selectFrom('conversations').select(['id', 'state', 'queue', 'snapshot']).where('external_id', '=', `phone:${phone}`).orderBy('created_at').execute();
  /** Waits until the customer's conversations read as `expect` (state and queue, oldest first). */
  const waitForConversations = (phone: string, want: { state: string; queue: string }[]) =>
    waitFor(
      async () => {
        const rows = await conversationsOf(phone);
        const now = rows.map((r) => ({ state: r.state, queue: r.queue }));
        return JSON.stringify(now) === JSON.stringify(want) ? rows : undefined;
      },
      { what: `${phone}: ${JSON.stringify(want)}`, timeoutMs: 15_000 },
    );
  const fallbacks = async (labels: Record<string, string>) => {
    let sum = 0;
    for (const n of nodes) sum += await metricValue(n.registry, 'parley_queue_fallbacks_total', labels);
    return sum;
  };

  it('moves its waiting and offered conversations to the overflow queue, else the channel queue, else closes them; once', { timeout: 60_000 }, async () => {
    const olga = new AgentDriver(nc, tenant, 'olga');
    await olga.configure([], { message: 1 });
    await olga.presence('available');

    const say = (channel: string, phone: string, text: string) => new CustomerDriver(nc, tenant, channel, { id: phone, idType: 'phone' }).say(text);
    await say('whatsapp', '+33600000001', 'vip here');
    await say('whatsapp', '+33600000002', 'vip too');
    await say('whatsapp', '+33600000003', 'my invoice');
    await say('sms', '+33600000005', 'hello');
    await waitForConversations('+33600000001', [{ state: 'queued', queue: 'vip' }]);
    await waitForConversations('+33600000002', [{ state: 'queued', queue: 'vip' }]);
    await waitForConversations('+33600000005', [{ state: 'queued', queue: 'legacy' }]);
    // Olga's only slot rings with the invoice conversation; a second one waits in billing.
    const offer = await olga.next('offer.created');
    await waitForConversations('+33600000003', [{ state: 'offered', queue: 'billing' }]);
    await say('whatsapp', '+33600000004', 'another invoice');
    await waitForConversations('+33600000004', [{ state: 'queued', queue: 'billing' }]);

    const deletedAt = new Date();
    for (const name of ['vip', 'billing', 'legacy']) await deleteManifest(bucket, 'Queue', tenant, name);

    await waitForConversations('+33600000001', [{ state: 'queued', queue: 'spill' }]);
    await waitForConversations('+33600000002', [{ state: 'queued', queue: 'spill' }]);
    await waitForConversations('+33600000004', [{ state: 'queued', queue: 'support' }]);
    // The ringing offer is withdrawn; the conversation waits in the channel's queue.
    await waitFor(
      () => store.db.selectFrom('assignments').select('state').where('id', '=', offer.offerId).where('state', '=', 'rescinded').executeTakeFirst(),
      { what: 'the billing offer to be rescinded' },
    );
    await waitForConversations('+33600000003', [{ state: 'queued', queue: 'support' }]);
    const [closed] = await waitForConversations('+33600000005', [{ state: 'closed', queue: 'legacy' }]);
    expect((closed?.snapshot as { context: ConversationContext }).context.closeReason).toBe('queueDeleted');

    // New conversations: a rule naming a deleted queue falls back to the channel's queue;
    // a channel whose queue is deleted stores the message and closes the conversation.
    await say('whatsapp', '+33600000006', 'vip again');
    const [fellBack] = await waitForConversations('+33600000006', [{ state: 'queued', queue: 'support' }]);
    expect((fellBack?.snapshot as { context: ConversationContext }).context.fallbackFrom).toBe('vip');
    await say('sms', '+33600000005', 'anyone?');
    const sms = await waitForConversations('+33600000005', [
      { state: 'closed', queue: 'legacy' },
      { state: 'closed', queue: 'legacy' },
    ]);
    const stored = await store.db.selectFrom('messages').select('text').where('conversation_id', '=', sms[1]?.id as string).execute();
    expect(stored.map((m) => m.text)).toEqual(['anyone?']);

    // Exactly once, counted across both routers, although both swept every 500 ms meanwhile.
    expect(await fallbacks({ queue: 'vip', outcome: 'overflow' })).toBe(2);
    expect(await fallbacks({ queue: 'vip', outcome: 'channel-queue' })).toBe(1);
    expect(await fallbacks({ queue: 'billing', outcome: 'channel-queue' })).toBe(2);
    expect(await fallbacks({ queue: 'legacy', outcome: 'closed' })).toBe(2);
    expect(await fallbacks({})).toBe(7);

    // Agents take what waits, only from queues that exist.
    const alice = new AgentDriver(nc, tenant, 'alice');
    await alice.configure([], { message: 10 });
    await alice.presence('available');
    const waiting = ['+33600000001', '+33600000002', '+33600000003', '+33600000004', '+33600000006'];
    for (let i = 0; i < waiting.length; i++) await alice.acceptNextOffer();
    const offeredSince = await store.db.selectFrom('assignments').select(['queue', 'agent_id']).where('offered_at', '>', deletedAt).execute();
    expect(offeredSince.length).toBeGreaterThanOrEqual(waiting.length);
    expect(offeredSince.filter((a) => a.queue === 'vip' || a.queue === 'billing' || a.queue === 'legacy')).toEqual([]);
    expect(await fallbacks({})).toBe(7);
    olga.stop();
    alice.stop();
  });

  it('a router started later knows which queues were deleted, from the delete markers', async () => {
    const config = new ConfigRegistry();
    const watcher = new ConfigWatcher(bucket, config);
    await watcher.start();
    watcher.stop();
    expect(config.deletedQueues().sort((a, b) => a.name.localeCompare(b.name))).toEqual(['billing', 'legacy', 'vip'].map((name) => ({ tenant, name })));
    expect(config.queueDeleted(tenant, 'nowhere')).toBe(false);
    // A queue created again is live, not deleted.
    await putManifest(bucket, manifest('Queue', 'vip', {}));
    await waitFor(() => (nodes.every((n) => n.config.queue(tenant, 'vip') && !n.config.queueDeleted(tenant, 'vip')) ? true : undefined), { what: 'vip to come back' });
  });
});
