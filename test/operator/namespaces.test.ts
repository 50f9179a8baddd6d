import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeTarget, type KubeTarget } from '../support/kube/cluster.ts';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';
import { configKey, openConfigBucket, putManifest, type Manifest } from '../../src/config/index.ts';
import { bucketEntry, cleanupWithKubectl, ensureNamespace, kubectlOk, loadKubeConfig, Objects, startTestOperator, type TestOperator } from './support.ts';

const queue = (namespace: string, name: string): Manifest => ({ apiVersion: 'parley.dev/v1alpha1', kind: 'Queue', metadata: { name, namespace }, spec: { skills: ['support'] } });

/** An operator limited to some namespaces (RBAC granting only those) leaves the others alone. */
describe('operator serving listed namespaces', () => {
  let services: TestServices;
  let kube: KubeTarget;
  let nc: NatsConnection;
  let kv: KV;
  let objects: Objects;
  let op: TestOperator;
  const k = (args: string[], stdin?: string) => kubectlOk(kube.kubeconfigPath, args, stdin);

  beforeAll(async () => {
    [services, kube] = await Promise.all([startTestServices(), kubeTarget()]);
    nc = await connect({ servers: services.natsUrl });
    kv = await openConfigBucket(nc);
    objects = new Objects(loadKubeConfig(kube.kubeconfigPath));
    await ensureNamespace(kube.kubeconfigPath, 'team-a');
    await ensureNamespace(kube.kubeconfigPath, 'team-b');
  });

  afterAll(async () => {
    if (kube && op) {
      await cleanupWithKubectl(kube.kubeconfigPath, ['delete', 'queue', 'support', '-n', 'team-a', '--ignore-not-found', '--wait', '--timeout=30s']);
      // Nobody serves team-b: its queue has no finalizer, it goes at once.
      await cleanupWithKubectl(kube.kubeconfigPath, ['delete', 'namespace', 'team-a', 'team-b', '--wait=false']);
    }
    await op?.operator.stop();
    await nc?.drain();
    await Promise.all([services?.stop(), kube?.stop()]);
  });

  it('reconciles team-a only, and removes stray bucket entries of team-a only', async () => {
    // Left over from resources deleted while no operator ran — or written by another one.
    await putManifest(kv, queue('team-a', 'ghost'));
    await putManifest(kv, queue('team-b', 'other-operator'));
    await k(['apply', '-f', '-'], JSON.stringify(queue('team-a', 'support')));
    await k(['apply', '-f', '-'], JSON.stringify(queue('team-b', 'support')));

    op = await startTestOperator(loadKubeConfig(kube.kubeconfigPath), kv, { namespaces: ['team-a'], leaderElection: { name: 'parley-operator-namespaces-test' } });
    await objects.waitForReady('Queue', 'team-a', 'support', { status: 'True', reason: 'Ready' });
    await waitFor(async () => (await bucketEntry(kv, configKey('Queue', 'team-a', 'ghost'))) === undefined || undefined, { what: 'the team-a stray entry to go' });

    expect(await bucketEntry(kv, configKey('Queue', 'team-a', 'support'))).toBeDefined();
    expect(await bucketEntry(kv, configKey('Queue', 'team-b', 'support'))).toBeUndefined();
    // On a shared cluster another test file's operator may serve team-b; on the test server nobody does.
    if (!kube.real) {
      const outside = await objects.get('Queue', 'team-b', 'support');
      expect(outside?.status).toBeUndefined();
      expect(outside?.metadata.finalizers).toBeUndefined();
    }
    expect(await bucketEntry(kv, configKey('Queue', 'team-b', 'other-operator'))).toEqual(queue('team-b', 'other-operator'));
  });
});
