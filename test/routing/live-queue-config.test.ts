import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startTestServices, type TestServices } from '../support/services.ts';
import { ConfigRegistry, ConfigWatcher, openConfigBucket, putManifest, type Manifest } from '../../src/config/index.ts';
import { migrateToLatest, openStore, type Store } from '../../src/store/index.ts';
import { startRouter, type Router } from '../../src/router/index.ts';
import { createLogger } from '../../src/observability/index.ts';
import { expectAssignmentsFollowMethodChange } from '../support/method-switch.ts';

const tenant = 'acme';
const channel: Manifest = { apiVersion: 'parley.dev/v1alpha1', kind: 'Channel', metadata: { name: 'whatsapp', namespace: tenant }, spec: { type: 'whatsapp', queue: 'support' } };
const supportQueue = (method: string): Manifest => ({ apiVersion: 'parley.dev/v1alpha1', kind: 'Queue', metadata: { name: 'support', namespace: tenant }, spec: { method, skills: ['support'] } });

/** A router whose configuration comes from the config bucket, as in a cluster. */
describe('queue configuration applied live', () => {
  let services: TestServices;
  let nc: NatsConnection;
  let store: Store;
  let bucket: KV;
  let watcher: ConfigWatcher;
  let router: Router;
  const config = new ConfigRegistry();

  beforeAll(async () => {
    services = await startTestServices();
    nc = await connect({ servers: services.natsUrl });
    store = await openStore({ url: services.databaseUrl });
    await migrateToLatest(store.db);
    bucket = await openConfigBucket(nc);
    await putManifest(bucket, channel);
    await putManifest(bucket, supportQueue('best-skills'));
    watcher = new ConfigWatcher(bucket, config);
    await watcher.start();
    router = await startRouter({ nc, db: store.db, config, registry: new Registry(), logger: createLogger({}, { level: 'warn' }) });
  });

  afterAll(async () => {
    watcher?.stop();
    await router?.stop();
    await store?.close();
    await nc?.drain();
    await services?.stop();
  });

  it('routes the next conversation by the new method after the queue changes, without a restart', async () => {
    await expectAssignmentsFollowMethodChange(nc, store.db, config, tenant, () => putManifest(bucket, supportQueue('longest-idle')).then(() => undefined));
  });
});
