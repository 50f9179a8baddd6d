import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeTarget, type KubeTarget } from '../support/kube/cluster.ts';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { ConfigRegistry, ConfigWatcher, openConfigBucket } from '../../src/config/index.ts';
import { migrateToLatest, openStore, type Store } from '../../src/store/index.ts';
import { startRouter, type Router } from '../../src/router/index.ts';
import { createLogger } from '../../src/observability/index.ts';
import { cleanupWithKubectl, ensureNamespace, kubectlOk, loadKubeConfig, Objects, startTestOperator, type TestOperator } from './support.ts';
import { acceptedAssignmentOf, conversationOfPhone } from '../support/awaits.ts';

const tenant = 'acme';
const resources = `
apiVersion: parley.dev/v1alpha1
kind: Channel
metadata: { name: whatsapp, namespace: ${tenant} }
spec: { type: whatsapp, queue: support }
---
apiVersion: parley.dev/v1alpha1
kind: Queue
metadata: { name: support, namespace: ${tenant} }
spec: { method: best-skills, skills: [support] }
`;

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

  const assignmentOf = (conversationId: string) => acceptedAssignmentOf(store.db, conversationId);
  const conversationOf = (phone: string) => conversationOfPhone(store.db, phone);

  it('routes by best-skills, then by longest-idle after `kubectl patch` of the Queue', async () => {
    await k(['apply', '-f', '-'], resources);
    await objects.waitForReady('Queue', tenant, 'support', { status: 'True', reason: 'Ready' });
    await objects.waitForReady('Channel', tenant, 'whatsapp', { status: 'True', reason: 'Ready' });
    await waitFor(() => (config.channel(tenant, 'whatsapp') && config.queue(tenant, 'support')?.method === 'best-skills') || undefined, { what: 'the configuration to be live in the router' });

    // Rookie has been idle longest; expert is the most proficient. Both answer automatically.
    const rookie = new AgentDriver(nc, tenant, 'rookie');
    const expert = new AgentDriver(nc, tenant, 'expert');
    try {
      await rookie.command({ type: 'agent.configure', name: 'Rookie', skills: ['support'], proficiency: { support: 1 }, capacity: { message: 10 }, autoAccept: true });
      await expert.command({ type: 'agent.configure', name: 'Expert', skills: ['support'], proficiency: { support: 5 }, capacity: { message: 10 }, autoAccept: true });
      await rookie.presence('available');
      await expert.presence('available');

      await new CustomerDriver(nc, tenant, 'whatsapp', { id: '+33600000001', idType: 'phone' }).say('first');
      const first = await assignmentOf((await conversationOf('+33600000001')).id);
      expect(first).toMatchObject({ agent_id: 'expert', reason: { method: 'best-skills', candidates: 2, score: 5 } });

      await k(['patch', 'queue', 'support', '-n', tenant, '--type=merge', '-p', '{"spec":{"method":"longest-idle"}}']);
      await objects.waitForReady('Queue', tenant, 'support', { status: 'True', reason: 'Ready', generation: 2 });
      await waitFor(() => (config.queue(tenant, 'support')?.method === 'longest-idle' ? true : undefined), { what: 'the new method to be live' });

      // Under best-skills the expert would win again; longest-idle now picks the rookie.
      await new CustomerDriver(nc, tenant, 'whatsapp', { id: '+33600000002', idType: 'phone' }).say('second');
      const second = await assignmentOf((await conversationOf('+33600000002')).id);
      expect(second).toMatchObject({ agent_id: 'rookie', reason: { method: 'longest-idle', candidates: 2 } });
    } finally {
      rookie.stop();
      expert.stop();
    }
  });
});
