import { randomUUID } from 'node:crypto';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_BUCKET, PartitionLeases } from '../../src/cluster/index.ts';
import { agentPartitionKey, campaignPartitionKey, conversationPartitionKey, partitionOf } from '../../src/partition/index.ts';
import { campaignDb } from '../../src/campaigns/index.ts';
import { runRepartition, RoutersRunning } from '../../src/cli/repartition.ts';
import { createLogger } from '../../src/observability/index.ts';
import {
  claimEpoch,
  ensurePartitioning,
  migrateToLatest,
  openStore,
  partitionEpochs,
  PartitionCountMismatch,
  repartition,
  type Store,
} from '../../src/store/index.ts';
import { agentContext, seedAgent, seedConversation, seedCustomer } from '../gateway/seed.ts';
import { startTestServices, type TestServices } from '../support/services.ts';

const tenants = ['acme', 'globex'];
const log = createLogger({ component: 'test' }, { level: 'error' });

/**
 * Changing the partition count (`repartition`, `parley repartition`): every actor row
 * moves to its partition under the new count, timers and outbox rows follow their actor,
 * and a router configured for the old count is refused afterwards.
 */
describe('repartitioning the store', () => {
  let services: TestServices;
  let store: Store;
  const conversations: string[] = [];
  const agents: { tenant: string; id: string }[] = [];

  beforeAll(async () => {
    services = await startTestServices();
    store = await openStore({ url: services.databaseUrl });
    await migrateToLatest(store.db);
    // Rows as they were before partitioning existed: partition null everywhere.
    for (const tenant of tenants) {
      const customerId = await seedCustomer(store.db, tenant);
      for (const channel of ['whatsapp', 'web-chat', 'sms']) {
        for (let i = 0; i < 4; i++) conversations.push(await seedConversation(store.db, { tenant, customerId, channel, state: 'queued' }));
      }
      for (const id of ['ana', 'bruno', 'chloe', 'dev', 'eun-ji']) {
        await seedAgent(store.db, agentContext(tenant, id));
        agents.push({ tenant, id });
      }
      // Campaign runs from before they had partitions (migration 2026-12-10T0101).
      for (const name of ['spring', 'summer', 'autumn']) {
        await campaignDb(store.db).insertInto('campaign_runs').values({ tenant, name, state: 'running', snapshot: JSON.stringify({ value: 'running', context: { tenant, id: name, name } }), list_id: name, channel: 'sms' }).execute();
      }
    }
    const due = new Date(Date.now() + 3_600_000).toISOString();
    const event = JSON.stringify({ type: 'timer' });
    await store.db
      .insertInto('timers')
      .values([
        ...conversations.map((id, i) => ({ id: randomUUID(), tenant: i < conversations.length / 2 ? 'acme' : 'globex', actor_kind: 'conversation' as const, actor_id: id, name: 'threading', due_at: due, event })),
        ...agents.map((a) => ({ id: randomUUID(), tenant: a.tenant, actor_kind: 'agent' as const, actor_id: a.id, name: `offer:${randomUUID()}`, due_at: due, event })),
      ])
      .execute();
    const payload = JSON.stringify({});
    await store.db
      .insertInto('outbox')
      .values([
        { tenant: 'acme', kind: 'actor', target_kind: 'conversation', target_id: conversations[0], subject: null, msg_id: null, payload },
        { tenant: 'acme', kind: 'actor', target_kind: 'agent', target_id: 'bruno', subject: null, msg_id: null, payload },
        { tenant: 'acme', kind: 'publish', target_kind: null, target_id: null, subject: 'parley.v1.outbound.acme.whatsapp', msg_id: randomUUID(), payload },
      ])
      .execute();
  });

  afterAll(async () => {
    await store?.close();
    await services?.stop();
  });

  /** Every row's partition against the one its key gives under `count`. */
  async function expectLayout(count: number): Promise<void> {
    const conversationRows = await store.db.selectFrom('conversations').select(['id', 'tenant', 'channel', 'external_id', 'partition']).execute();
    expect(conversationRows).toHaveLength(conversations.length);
    for (const r of conversationRows) expect(r.partition, r.id).toBe(partitionOf(conversationPartitionKey(r.tenant, r.channel, r.external_id), count));
    const agentRows = await store.db.selectFrom('agents').select(['tenant', 'id', 'partition']).execute();
    expect(agentRows).toHaveLength(agents.length);
    for (const r of agentRows) expect(r.partition, `${r.tenant}/${r.id}`).toBe(partitionOf(agentPartitionKey(r.tenant, r.id), count));
    const campaignRows = await campaignDb(store.db).selectFrom('campaign_runs').select(['tenant', 'name', 'partition']).execute();
    expect(campaignRows).toHaveLength(tenants.length * 3);
    for (const r of campaignRows) expect(r.partition, `campaign ${r.tenant}/${r.name}`).toBe(partitionOf(campaignPartitionKey(r.tenant, r.name), count));

    // Timers and outbox rows follow their actor.
    const conversationPartition = new Map(conversationRows.map((r) => [r.id, r.partition]));
    const agentPartition = new Map(agentRows.map((r) => [`${r.tenant}/${r.id}`, r.partition]));
    const timers = await store.db.selectFrom('timers').select(['tenant', 'actor_kind', 'actor_id', 'partition']).execute();
    expect(timers).toHaveLength(conversations.length + agents.length);
    for (const t of timers) {
      const expected = t.actor_kind === 'conversation' ? conversationPartition.get(t.actor_id) : agentPartition.get(`${t.tenant}/${t.actor_id}`);
      expect(expected, `${t.actor_kind} ${t.actor_id}`).toBeDefined();
      expect(t.partition, `timer of ${t.actor_kind} ${t.actor_id}`).toBe(expected);
    }
    const outbox = await store.db.selectFrom('outbox').select(['tenant', 'target_kind', 'target_id', 'partition']).orderBy('id').execute();
    expect(outbox.map((o) => o.partition)).toEqual([
      conversationPartition.get(conversations[0] as string),
      agentPartition.get('acme/bruno'),
      0, // a publish row has no target actor: partition 0's owner retries it
    ]);
  }

  it('computes the partitions of rows written before partitioning (ensurePartitioning)', async () => {
    await ensurePartitioning(store.db, 64);
    await expectLayout(64);
    // The rows spread over many partitions: the move to 8 below really moves rows.
    const used = await store.db.selectFrom('conversations').select('partition').distinct().execute();
    expect(used.length).toBeGreaterThan(8);
  });

  it('moves every row to its partition under the new count, keeping the fencing epochs', async () => {
    await claimEpoch(store.db, 3, 7, 'router-a');
    const counts = await repartition(store.db, 8);
    expect(counts).toEqual({ conversations: conversations.length, agents: agents.length });
    await expectLayout(8);
    const setting = await store.db.selectFrom('cluster_settings').select('value').where('name', '=', 'partition_count').executeTakeFirstOrThrow();
    expect(setting.value).toBe('8');
    // Epochs only grow: the next owner of partition 3 claims above 7.
    expect(await partitionEpochs(store.db)).toContainEqual({ partition: 3, epoch: 7, owner: 'router-a' });
  });

  it('refuses a router configured for the old count, naming `parley repartition`', async () => {
    const refusal = ensurePartitioning(store.db, 64);
    await expect(refusal).rejects.toBeInstanceOf(PartitionCountMismatch);
    await expect(refusal).rejects.toThrow(/partitioned into 8 partitions.*configured for 64.*`parley repartition --partitions 64`/);
    await expect(ensurePartitioning(store.db, 8)).resolves.toBeUndefined();
  });
});

/** `parley repartition` (runRepartition): it refuses while routers are registered in the cluster bucket. */
describe('parley repartition', () => {
  let services: TestServices;
  let store: Store;
  let nc: NatsConnection;
  const lines: string[] = [];
  const command = (partitions: number, extra: { force?: boolean; nats?: { url: string; required: boolean } } = {}) =>
    runRepartition({ partitions, databaseUrl: services.databaseUrl, nats: { url: services.natsUrl, required: true }, watchMs: 1_500, print: (l) => lines.push(l), ...extra });

  beforeAll(async () => {
    services = await startTestServices();
    store = await openStore({ url: services.databaseUrl });
    await migrateToLatest(store.db);
    await ensurePartitioning(store.db, 16);
    const customerId = await seedCustomer(store.db, 'acme');
    for (let i = 0; i < 10; i++) await seedConversation(store.db, { tenant: 'acme', customerId });
    await seedAgent(store.db, agentContext('acme', 'ana'));
    await ensurePartitioning(store.db, 16);
    nc = await connect({ servers: services.natsUrl });
  });

  afterAll(async () => {
    await nc?.close();
    await store?.close();
    await services?.stop();
  });

  it('runs when no router ever joined (no cluster bucket), and prints what moved', async () => {
    lines.length = 0;
    const report = await command(4);
    expect(report.previous).toBe(16);
    expect(report.partitions).toBe(4);
    expect(report.conversations.total).toBe(10);
    expect(report.agents).toEqual({ total: 1, moved: partitionOf(agentPartitionKey('acme', 'ana'), 16) === partitionOf(agentPartitionKey('acme', 'ana'), 4) ? 0 : 1 });
    expect(lines[0]).toBe('parley repartition: 16 partitions → 4 partitions');
    expect(lines.join('\n')).toMatch(/conversations\s+\d+ of 10 moved/);
    expect(lines.join('\n')).toContain('PARLEY_PARTITIONS=4');
    // The same count again moves nothing.
    const again = await command(4);
    expect(again.conversations.moved).toBe(0);
    expect(again.agents.moved).toBe(0);
  });

  it('refuses while a router is alive, and runs once it has left', async () => {
    await ensurePartitioning(store.db, 4);
    const leases = new PartitionLeases({ nc, db: store.db, nodeId: 'router-0', partitions: 4, leaseMs: 2_000, heartbeatMs: 400, log });
    await leases.start({ gained: async () => {}, lost: async () => {} });
    try {
      const refusal = command(8);
      await expect(refusal).rejects.toBeInstanceOf(RoutersRunning);
      await expect(refusal).rejects.toThrow(/router-0\s+alive/);
      // Nothing was touched.
      const setting = await store.db.selectFrom('cluster_settings').select('value').where('name', '=', 'partition_count').executeTakeFirstOrThrow();
      expect(setting.value).toBe('4');
    } finally {
      await leases.stop();
    }
    // A graceful stop removes the member entry.
    await expect(command(8)).resolves.toMatchObject({ previous: 4, partitions: 8 });
  });

  it('names an entry a crash left behind as such, and goes on with --force', async () => {
    const kv = await new Kvm(nc).open(CLUSTER_BUCKET);
    await kv.put('members.router-9', JSON.stringify({ node: 'router-9', since: new Date().toISOString() }));
    try {
      await expect(command(2)).rejects.toThrow(/router-9\s+no heartbeat for 1500 ms: crashed\?/);
      lines.length = 0;
      await expect(command(2, { force: true })).resolves.toMatchObject({ previous: 8, partitions: 2 });
      expect(lines[0]).toMatch(/going on \(--force\)/);
    } finally {
      await kv.delete('members.router-9');
    }
  });

  it('refuses when it cannot ask NATS, unless that NATS was only a stopped `parley up`', async () => {
    const nowhere = 'nats://127.0.0.1:1';
    await expect(command(2, { nats: { url: nowhere, required: true } })).rejects.toThrow(/cannot check for running routers: NATS at nats:\/\/127\.0\.0\.1:1/);
    await expect(command(2, { nats: { url: nowhere, required: false } })).resolves.toMatchObject({ partitions: 2 });
    await expect(command(2, { nats: { url: nowhere, required: true }, force: true })).resolves.toMatchObject({ partitions: 2 });
    await expect(command(0)).rejects.toThrow(/--partitions must be an integer from 1 to 1024/);
  });
});
