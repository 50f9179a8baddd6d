import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll } from 'vitest';
import { startTestServices, type TestServices } from './services.ts';
import { jetstream, jetstreamManager, AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { Registry } from 'prom-client';
import { ConfigRegistry, ChannelResource, QueueResource, type Resource } from '../../src/config/index.ts';
import { openStore, migrateToLatest, type Store } from '../../src/store/index.ts';
import { startRouter, type Router } from '../../src/router/index.ts';
import { streams, type OutboundMessage } from '../../src/contract/index.ts';
import { createLogger } from '../../src/observability/index.ts';

/** A Channel resource as a platform team would write it (defaults resolved by the schema). */
export function channel(tenant: string, name: string, spec: Record<string, unknown>): Resource {
  return ChannelResource.parse({ apiVersion: 'parley.dev/v1alpha1', kind: 'Channel', metadata: { name, namespace: tenant }, spec });
}

export function queue(tenant: string, name: string, spec: Record<string, unknown> = {}): Resource {
  return QueueResource.parse({ apiVersion: 'parley.dev/v1alpha1', kind: 'Queue', metadata: { name, namespace: tenant }, spec });
}

/** A router running in this process against real NATS and PostgreSQL. */
export interface RunningParley {
  nc: NatsConnection;
  store: Store;
  config: ConfigRegistry;
  router: Router;
  registry: Registry;
  stop(): Promise<void>;
}

export async function startParley(natsUrl: string, databaseUrl: string, resources: Resource[]): Promise<RunningParley> {
  const nc = await connect({ servers: natsUrl });
  const store = await openStore({ url: databaseUrl });
  await migrateToLatest(store.db);
  const config = new ConfigRegistry();
  config.apply(resources);
  const registry = new Registry();
  const router = await startRouter({ nc, db: store.db, config, registry, logger: createLogger({}, { level: 'warn' }) });
  return {
    nc,
    store,
    config,
    router,
    registry,
    async stop() {
      await router.stop();
      await store.close();
      await nc.drain();
    },
  };
}

/** Reads outbound messages the way a channel adapter would: a durable consumer on the outbound stream. */
export async function outboundReader(nc: NatsConnection, name: string) {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(streams.outbound.name, { durable_name: name, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });
  const consumer = await jetstream(nc).consumers.get(streams.outbound.name, name);
  return {
    async next(timeoutMs = 10_000): Promise<OutboundMessage> {
      const msg = await consumer.next({ expires: timeoutMs });
      if (!msg) throw new Error(`no outbound message within ${timeoutMs} ms`);
      msg.ack();
      return msg.json<OutboundMessage>();
    },
  };
}

/** The value of a metric (summed over label sets matching `labels`). */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const data = await metric.get();
  return data.values
    .filter((v) => Object.entries(labels).every(([k, val]) => (v.labels as Record<string, unknown>)[k] === val))
    .filter((v) => !('metricName' in v) || v.metricName === name || v.metricName === undefined)
    .reduce((sum, v) => sum + v.value, 0);
}

/**
 * Starts test services and a router with these resources for the current test file
 * (beforeAll), and stops both afterwards (afterAll). Returns a getter for the running Parley.
 */
export function useParley(resources: Resource[]): () => RunningParley {
  let services: TestServices | undefined;
  let parley: RunningParley | undefined;
  beforeAll(async () => {
    services = await startTestServices();
    parley = await startParley(services.natsUrl, services.databaseUrl, resources);
  });
  afterAll(async () => {
    await parley?.stop();
    await services?.stop();
  });
  return () => {
    if (!parley) throw new Error('Parley is not running (used outside a test?)');
    return parley;
  };
}
