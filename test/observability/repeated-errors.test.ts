import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationPartitionKey, partitionOf } from '../../src/partition/index.ts';
import { ConfigRegistry } from '../../src/config/index.ts';
import { createLogger } from '../../src/observability/index.ts';
import { startRouter, type Router } from '../../src/router/index.ts';
import { migrateToLatest, openStore, type Store } from '../../src/store/index.ts';
import { configFolder, type ConfigFolder } from '../support/config-folder.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { channel, metricValue, queue } from '../support/parley.ts';
import { startPostgresService, type PostgresService } from '../support/postgres-service.ts';
import { RouterProcess } from '../support/router-process.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * Issue #10: after NATS came back, a router logged thousands of identical "no responders
 * for partition N" lines in a second. Here a router whose peer crashed (its leases not
 * yet expired, nobody answering for its partitions) gets a burst of customer messages
 * for those partitions right after a NATS restart: each one fails, the metric counts
 * every failure, the log writes one line and then one sum.
 */

const tenant = 'acme';
const PARTITIONS = 16;
/** Long enough that the crashed peer's partitions stay its own for the whole test. */
const LEASE_MS = 30_000;

let nats: NatsServer;
let postgres: PostgresService;
let folder: ConfigFolder;
let store: Store;
let nc: NatsConnection;
let router: Router;
let peer: RouterProcess;
const registry = new Registry();
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  [nats, postgres, folder] = await Promise.all([startNatsServer(), startPostgresService(), configFolder(tenant)]);
  store = await openStore({ url: postgres.url });
  await migrateToLatest(store.db);
  // Reconnects for as long as the restart takes.
  nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  const config = new ConfigRegistry();
  config.apply([channel(tenant, 'whatsapp', { type: 'whatsapp', queue: 'support' }), queue(tenant, 'support')]);
  router = await startRouter({
    nc,
    db: store.db,
    config,
    registry,
    nodeId: 'survivor',
    partitions: PARTITIONS,
    leaseMs: LEASE_MS,
    heartbeatMs: 500,
    // Long: the burst is summed up by the flush at stop, so the test knows how many lines to expect.
    repeatedLogIntervalMs: 600_000,
    logger: createLogger({ component: 'router' }, { write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }),
  });
  peer = await RouterProcess.start({ natsUrl: nats.url, databaseUrl: postgres.url, nodeId: 'peer', configDir: folder.dir, leaseMs: LEASE_MS, partitions: PARTITIONS });
  await waitFor(async () => (router.cluster().owned.length === PARTITIONS / 2 && (await peer.cluster()).owned.length === PARTITIONS / 2) || undefined, {
    what: 'the two routers to share the partitions',
    timeoutMs: 40_000,
    intervalMs: 100,
  });
});

afterAll(async () => {
  await peer?.kill();
  await nc?.close();
  await store?.close();
  await nats?.stop();
  await postgres?.stop();
  await folder?.remove();
});

describe('repeated errors after a NATS restart', () => {
  it('are logged once and summed up in one line with their count, while the metric counts each', async () => {
    // The peer crashes: its leases stand until they expire, and nobody answers for its partitions.
    const peerPartitions = new Set((await peer.cluster()).owned);
    await peer.kill();

    // NATS restarts on the same port and data; the router reconnects.
    await nats.stop();
    nats = await startNatsServer({ port: nats.port, storeDir: nats.storeDir });
    await waitFor(() => nc.rtt(), { what: 'the router connection to come back', timeoutMs: 20_000 });

    // A burst of customer messages for the crashed peer's partitions.
    const customers: CustomerDriver[] = [];
    for (let i = 0; customers.length < 200; i++) {
      const id = `+3361${String(i).padStart(7, '0')}`;
      if (peerPartitions.has(partitionOf(conversationPartitionKey(tenant, 'whatsapp', id), PARTITIONS))) {
        customers.push(new CustomerDriver(nc, tenant, 'whatsapp', { id, idType: 'phone' }));
      }
    }
    await Promise.all(customers.map((c) => c.say('hello')));

    const failures = () => metricValue(registry, 'parley_router_errors_total', { operation: 'inbound-consumer', code: 'notPartitionOwner' });
    await waitFor(async () => (await failures()) >= customers.length || undefined, { what: `${customers.length} failures to be counted`, timeoutMs: 20_000 });
    // (The restart itself may have made the consume loop fail otherwise: other lines, other codes.)
    const burst = () => lines.filter((l) => l.msg === 'inbound consumer' && (l.err as { code?: string } | undefined)?.code === 'notPartitionOwner');
    // While the burst goes on: one line, the first failure, with its cause.
    expect(burst()).toHaveLength(1);
    expect(burst()[0]).toMatchObject({ level: 'warn', err: { code: 'notPartitionOwner' } });
    expect(String((burst()[0]?.err as { message: string }).message)).toMatch(/no node answers for partition \d+/);

    // At the end of the interval (here: on stop) one more line sums up the others.
    await router.stop();
    const counted = await failures();
    expect(burst()).toHaveLength(2);
    expect(burst()[1]).toMatchObject({ level: 'warn', repeated: true, count: counted - 1, err: { code: 'notPartitionOwner' } });
  });
});
