import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { channel, queue } from '../support/parley.ts';
import { ConfigRegistry } from '../../src/config/index.ts';
import { externalIdOf } from '../../src/contract/index.ts';
import { agentPartitionKey, conversationPartitionKey, partitionOf, queuePartitionKey } from '../../src/partition/index.ts';
import { startRouter, type Router } from '../../src/router/index.ts';
import { migrateToLatest, openStore, type Database, type Store } from '../../src/store/index.ts';
import { createLogger } from '../../src/observability/index.ts';

const tenant = 'acme';
/** Two partitions, one for each router. */
const partitions = 2;

/** The first of `candidates` whose partition is `p` (the hash is fixed, so always the same one). */
const inPartition = (p: number, candidates: (i: number) => string, keyOf: (candidate: string) => string) => {
  for (let i = 0; ; i++) if (partitionOf(keyOf(candidates(i)), partitions) === p) return candidates(i);
};
// The queue and the agent in one partition, the customer's conversation in the other.
const queueName = inPartition(0, (i) => `support-${i}`, (q) => queuePartitionKey(tenant, q));
const agentId = inPartition(0, (i) => `agent-${i}`, (a) => agentPartitionKey(tenant, a));
const customer = inPartition(1, (i) => `+3361${String(i).padStart(7, '0')}`, (phone) => conversationPartitionKey(tenant, 'whatsapp', externalIdOf({ id: phone, idType: 'phone' })));

interface Node {
  router: Router;
  /** The conversations whose partition this router read from the store (`conversationPartition`), by id. */
  partitionReads: string[];
}

/**
 * A router learns a conversation's partition from its owner's state notes (the router's
 * `feed.follow` → `ConversationKind.learnPartition`): sending it an event from another
 * router, it then reads nothing from the store to find where it lives. Two routers in
 * this process, each with a partition: the queue's scheduler and the agent on one, the
 * customer's conversation on the other.
 */
describe('a conversation’s partition learned from the state feed', () => {
  let services: TestServices;
  /** The test's own connections, for its checks. */
  let store: Store;
  let driverNc: NatsConnection;
  const nodes: Node[] = [];
  /** The routers' own NATS connections and connection pools, as router processes have. */
  const connections: NatsConnection[] = [];
  const pools: Store[] = [];
  let agent: AgentDriver | undefined;

  /** A router's store, noting the reads of a conversation's partition by id. */
  const noting = (db: Kysely<Database>, reads: string[]): Kysely<Database> =>
    db.withPlugin({
      transformQuery: ({ node, queryId }) => {
        const { sql, parameters } = db.getExecutor().compileQuery(node, queryId);
        if (/^select "partition" from "conversations" where "id" = \$1/.test(sql)) reads.push(String(parameters[0]));
        return node;
      },
      transformResult: ({ result }) => Promise.resolve(result),
    });

  beforeAll(async () => {
    services = await startTestServices();
    store = await openStore({ url: services.databaseUrl });
    await migrateToLatest(store.db);
    driverNc = await connect({ servers: services.natsUrl });
    for (const nodeId of ['router-a', 'router-b']) {
      const config = new ConfigRegistry();
      config.apply([channel(tenant, 'whatsapp', { type: 'whatsapp', queue: queueName }), queue(tenant, queueName)]);
      const nc = await connect({ servers: services.natsUrl });
      connections.push(nc);
      const pool = await openStore({ url: services.databaseUrl });
      pools.push(pool);
      const partitionReads: string[] = [];
      const logger = createLogger({ node: nodeId }, { level: 'warn' });
      const router = await startRouter({ nc, db: noting(pool.db, partitionReads), config, registry: new Registry(), logger, nodeId, partitions });
      nodes.push({ router, partitionReads });
    }
  });

  afterAll(async () => {
    agent?.stop();
    await Promise.all(nodes.map((n) => n.router.stop()));
    await Promise.all(connections.map((nc) => nc.drain()));
    await Promise.all(pools.map((pool) => pool.close()));
    await driverNc?.drain();
    await store?.close();
    await services?.stop();
  });

  it('sends the agent’s answer to a conversation owned by another router without reading its partition from the store', async () => {
    // The second router to start takes its share from the first (released at once).
    const owners = await waitFor(
      () => {
        const owned = nodes.map((n) => n.router.cluster().owned);
        return owned.every((o) => o.length === 1) && new Set(owned.flat()).size === partitions ? owned : undefined;
      },
      { what: 'each router to own one partition', timeoutMs: 30_000 },
    );
    // The sender: the queue's leader and the agent's owner. The owner: the conversation's.
    const [sender, owner] = [0, 1].map((p) => nodes[owners.findIndex((o) => o[0] === p)] as Node) as [Node, Node];

    agent = new AgentDriver(driverNc, tenant, agentId);
    await agent.configure([], { message: 1 });
    await agent.presence('available');
    const hello = await new CustomerDriver(driverNc, tenant, 'whatsapp', { id: customer, idType: 'phone' }).say('Hello');

    // The sender's scheduler offers the conversation to its agent, whose reservation and
    // acceptance go to the conversation, on the other router.
    const conversationId = await agent.acceptNextOffer(30_000);
    const connected = await waitFor(() => store.db.selectFrom('conversations').select(['id', 'state', 'agent_id', 'partition']).where('id', '=', conversationId).where('state', '=', 'connected').executeTakeFirst(), {
      what: 'the conversation connected',
      timeoutMs: 30_000,
    });
    expect(connected).toMatchObject({ agent_id: agentId, partition: 1 });
    const stored = await store.db.selectFrom('messages').select('conversation_id').where('platform_message_id', '=', hello.messageId).executeTakeFirstOrThrow();
    expect(stored.conversation_id).toBe(conversationId);

    // The router that sent both events knew where the conversation lives from its owner's
    // notes. Each router still holds the partition it settled with: the sender never hosted
    // the conversation (its own memory would have told it the partition).
    expect(sender.partitionReads).toEqual([]);
    expect([sender.router.cluster().owned, owner.router.cluster().owned]).toEqual([[0], [1]]);
  });
});
