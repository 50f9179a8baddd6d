import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { kubeTarget, type KubeTarget } from '../support/kube/cluster.ts';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';
import { ConfigRegistry, ConfigWatcher, openConfigBucket } from '../../src/config/index.ts';
import { migrateToLatest, openStore, type Store } from '../../src/store/index.ts';
import { startRouter, type Router } from '../../src/router/index.ts';
import { createLogger } from '../../src/observability/index.ts';
import { cleanupWithKubectl, ensureNamespace, kubectlOk, loadKubeConfig, Objects, startTestOperator, type TestOperator } from './support.ts';
import { expectAssignmentsFollowMethodChange } from '../support/method-switch.ts';
import { channelAndQueue } from '../support/config-folder.ts';

const tenant = 'acme';
const resources = channelAndQueue(tenant, '{ method: best-skills, skills: [support] }');

/** kubectl → operator → configuration bucket → a running router, without a restart. */
describe('resources applied with kubectl route live conversations', () => {
  let services: TestServices;
  let kube: KubeTarget;
  let nc: NatsConnection;
  let store: Store;
  let bucket: KV;
  let watcher: ConfigWatcher;
  let router: Router;
  let op: TestOperator;
  let objects: Objects;
  const config = new ConfigRegistry();
  const k = (args: string[], stdin?: string) => kubectlOk(kube.kubeconfigPath, args, stdin);

  beforeAll(async () => {
    [services, kube] = await Promise.all([startTestServices(), kubeTarget()]);
    nc = await connect({ servers: services.natsUrl });
    store = await openStore({ url: services.databaseUrl });
    await migrateToLatest(store.db);
    bucket = await openConfigBucket(nc);
    watcher = new ConfigWatcher(bucket, config);
    await watcher.start();
    router = await startRouter({ nc, db: store.db, config, registry: new Registry(), logger: createLogger({}, { level: 'warn' }) });
    const kc = loadKubeConfig(kube.kubeconfigPath);
    objects = new Objects(kc);
    op = await startTestOperator(kc, bucket, { namespaces: [tenant], leaderElection: { name: 'parley-operator-routing-test' } });
    await ensureNamespace(kube.kubeconfigPath, tenant);
  });

  afterAll(async () => {
    if (kube && op) {
      await cleanupWithKubectl(kube.kubeconfigPath, ['delete', '-f', '-', '--ignore-not-found', '--wait', '--timeout=30s'], resources);
      await cleanupWithKubectl(kube.kubeconfigPath, ['delete', 'namespace', tenant, '--wait=false']);
    }
    await op?.operator.stop();
    watcher?.stop();
    await router?.stop();
    await store?.close();
    await nc?.drain();
    await Promise.all([services?.stop(), kube?.stop()]);
  });

  it('routes by best-skills, then by longest-idle after `kubectl patch` of the Queue', async () => {
    await k(['apply', '-f', '-'], resources);
    await objects.waitForReady('Queue', tenant, 'support', { status: 'True', reason: 'Ready' });
    await objects.waitForReady('Channel', tenant, 'whatsapp', { status: 'True', reason: 'Ready' });
    await waitFor(() => (config.channel(tenant, 'whatsapp') && config.queue(tenant, 'support')?.method === 'best-skills') || undefined, { what: 'the configuration to be live in the router' });

    await expectAssignmentsFollowMethodChange(nc, store.db, config, tenant, async () => {
      await k(['patch', 'queue', 'support', '-n', tenant, '--type=merge', '-p', '{"spec":{"method":"longest-idle"}}']);
      await objects.waitForReady('Queue', tenant, 'support', { status: 'True', reason: 'Ready', generation: 2 });
    });
  });
});
