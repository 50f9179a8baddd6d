import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigRegistry } from '../../src/config/index.ts';
import { createLogger } from '../../src/observability/index.ts';
import { startRouter, type Router } from '../../src/router/index.ts';
import { migrateToLatest, openStore, type Store } from '../../src/store/index.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { channel, queue } from '../support/parley.ts';
import { RouterProcess } from '../support/router-process.ts';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';

/**
 * A router reports `parley_queue_waiting` for the queues it leads. When another router
 * takes a queue's leadership over, the old leader's series goes away instead of
 * keeping its last value next to the new leader's (two routers, two answers).
 */

const tenant = 'acme';
const PARTITIONS = 16;
const QUEUES = Array.from({ length: 8 }, (_, i) => `q${i}`);

let services: TestServices;
let dir: string;
let store: Store;
let nc: NatsConnection;
let router: Router;
let peer: RouterProcess | undefined;
const registry = new Registry();

beforeAll(async () => {
  services = await startTestServices();
  // One channel per queue, each routing to its queue; no agents, so conversations wait.
  dir = await mkdtemp(join(tmpdir(), 'parley-gauges-'));
  const yaml = QUEUES.map(
    (q) => `apiVersion: parley.dev/v1alpha1
kind: Channel
metadata: { name: ch-${q}, namespace: ${tenant} }
spec: { type: whatsapp, queue: ${q} }
---
apiVersion: parley.dev/v1alpha1
kind: Queue
metadata: { name: ${q}, namespace: ${tenant} }
spec: {}
`,
  ).join('---\n');
  await writeFile(join(dir, 'resources.yaml'), yaml);
  store = await openStore({ url: services.databaseUrl });
  await migrateToLatest(store.db);
  nc = await connect({ servers: services.natsUrl });
  const config = new ConfigRegistry();
  config.apply(QUEUES.flatMap((q) => [channel(tenant, `ch-${q}`, { type: 'whatsapp', queue: q }), queue(tenant, q)]));
  router = await startRouter({ nc, db: store.db, config, registry, nodeId: 'first', partitions: PARTITIONS, leaseMs: 3_000, logger: createLogger({}, { level: 'error' }) });
});

afterAll(async () => {
  await peer?.kill();
  await router?.stop();
  await nc?.drain();
  await store?.close();
  await services?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function waitingSeries(): Promise<Map<string, number>> {
  const data = await registry.getSingleMetric('parley_queue_waiting')?.get();
  return new Map((data?.values ?? []).map((v) => [String(v.labels.queue), v.value]));
}

describe('queue gauges', () => {
  it('are removed from a router that no longer leads their queue', async () => {
    for (const q of QUEUES) await new CustomerDriver(nc, tenant, `ch-${q}`, { id: `+336100000${q.slice(1)}`, idType: 'phone' }).say('hello');
    await waitFor(async () => {
      const series = await waitingSeries();
      return QUEUES.every((q) => series.get(q) === 1) || undefined;
    }, { what: 'every queue to report one waiting conversation', timeoutMs: 20_000 });

    // A second router joins and takes half the partitions, and with them some queues' leadership.
    peer = await RouterProcess.start({ natsUrl: services.natsUrl, databaseUrl: services.databaseUrl, nodeId: 'second', configDir: dir, leaseMs: 3_000, partitions: PARTITIONS });
    await waitFor(() => router.cluster().owned.length === PARTITIONS / 2 || undefined, { what: 'the first router to hand half over', timeoutMs: 30_000, intervalMs: 100 });
    const led = new Set(router.cluster().queues.map((q) => q.queue));
    const moved = QUEUES.filter((q) => !led.has(q));
    expect(moved.length).toBeGreaterThan(0);
    expect(led.size).toBeGreaterThan(0);

    const series = await waitingSeries();
    expect([...series.keys()].sort()).toEqual([...led].sort());
    for (const q of led) expect(series.get(q)).toBe(1);
  });
});
