import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeTarget, type KubeTarget } from '../support/kube/cluster.ts';
import { startNatsServer, waitFor, type NatsServer } from '../support/services.ts';
import { findNatsServerBinary } from '../support/nats-server.ts';
import { configKey, openConfigBucket } from '../../src/config/index.ts';
import { bucketEntry, cleanupWithKubectl, ensureNamespace, kubectlOk, loadKubeConfig, Objects, startTestOperator, type TestOperator } from './support.ts';

const namespace = 'outage';
const queue = (skills: string[]) => JSON.stringify({ apiVersion: 'parley.dev/v1alpha1', kind: 'Queue', metadata: { name: 'support', namespace }, spec: { skills } });

/**
 * The configuration bucket unreachable: the resource says Errored, the reconcile is
 * retried with backoff, and the change goes live once NATS is back. Needs its own
 * nats-server to stop and restart (same port and store).
 */
describe.skipIf(!findNatsServerBinary())('operator while NATS is down', () => {
  let nats: NatsServer;
  let kube: KubeTarget;
  let nc: NatsConnection;
  let kv: KV;
  let objects: Objects;
  let op: TestOperator;
  const k = (args: string[], stdin?: string) => kubectlOk(kube.kubeconfigPath, args, stdin);

  beforeAll(async () => {
    [nats, kube] = await Promise.all([startNatsServer(), kubeTarget()]);
    nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    kv = await openConfigBucket(nc);
    const kc = loadKubeConfig(kube.kubeconfigPath);
    objects = new Objects(kc);
    // Short retries keep the test short; the default starts at 500 ms too.
    op = await startTestOperator(kc, kv, { namespaces: [namespace], backoff: { baseMs: 200, maxMs: 1_000 }, leaderElection: { name: 'parley-operator-outage-test' } });
    await ensureNamespace(kube.kubeconfigPath, namespace);
  });

  afterAll(async () => {
    if (kube && op) {
      await cleanupWithKubectl(kube.kubeconfigPath, ['delete', 'queue', 'support', '-n', namespace, '--ignore-not-found', '--wait', '--timeout=30s']);
      await cleanupWithKubectl(kube.kubeconfigPath, ['delete', 'namespace', namespace, '--wait=false']);
    }
    await op?.operator.stop();
    await nc?.close();
    await Promise.all([nats?.stop(), kube?.stop()]);
  });

  it('reports Errored while the bucket is unreachable and applies the change once it is back', async () => {
    await k(['apply', '-f', '-'], queue(['support']));
    const ready = await objects.waitForReady('Queue', namespace, 'support', { status: 'True', reason: 'Ready' });

    await nats.stop();
    await k(['apply', '-f', '-'], queue(['support', 'billing']));
    const generation = (ready.obj.metadata.generation ?? 0) + 1;
    const errored = await objects.waitForReady('Queue', namespace, 'support', { status: 'False', reason: 'Errored', generation }, 30_000);
    expect(errored.ready.message).toContain(`cannot write ${configKey('Queue', namespace, 'support')} to the configuration bucket`);

    nats = await startNatsServer({ port: nats.port, storeDir: nats.storeDir });
    await objects.waitForReady('Queue', namespace, 'support', { status: 'True', reason: 'Ready', generation }, 30_000);
    await waitFor(async () => ((await bucketEntry(kv, configKey('Queue', namespace, 'support'))) as { spec?: { skills?: string[] } } | undefined)?.spec?.skills?.includes('billing') || undefined, {
      what: 'the new skills in the bucket',
    });
  });
});
