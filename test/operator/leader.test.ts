import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeTarget, type KubeTarget } from '../support/kube/cluster.ts';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';
import { openConfigBucket } from '../../src/config/index.ts';
import { cleanupWithKubectl, ensureNamespace, kubectlOk, loadKubeConfig, Objects, startTestOperator, type TestOperator } from './support.ts';

const namespace = 'election';
const queue = (skills: string[]) => JSON.stringify({ apiVersion: 'parley.dev/v1alpha1', kind: 'Queue', metadata: { name: 'support', namespace }, spec: { skills } });

/** Two operator instances on one Lease: one reconciles, the other stands by. */
describe('operator leader election', () => {
  let services: TestServices;
  let kube: KubeTarget;
  let nc: NatsConnection;
  let kv: KV;
  let kc: KubeConfig;
  let objects: Objects;
  const started: TestOperator[] = [];
  const k = (args: string[], stdin?: string) => kubectlOk(kube.kubeconfigPath, args, stdin);
  const holder = async (lease: string) => (await k(['get', 'lease', lease, '-n', 'default', '-o', 'jsonpath={.spec.holderIdentity}'])).trim();
  const start = async (lease: string, identity: string, timing = {}) => {
    // Scoped to this file's namespace: on a shared cluster, other files' objects are not ours.
    const op = await startTestOperator(kc, kv, { namespaces: [namespace], leaderElection: { name: lease, identity, ...timing } });
    started.push(op);
    return op;
  };
  const oneLeader = (ops: TestOperator[]) =>
    waitFor(
      () => {
        const leaders = ops.filter((o) => o.operator.isLeader);
        return leaders.length === 1 ? leaders[0] : undefined;
      },
      { what: 'exactly one leader', timeoutMs: 20_000 },
    );

  beforeAll(async () => {
    [services, kube] = await Promise.all([startTestServices(), kubeTarget()]);
    nc = await connect({ servers: services.natsUrl });
    kv = await openConfigBucket(nc);
    kc = loadKubeConfig(kube.kubeconfigPath);
    objects = new Objects(kc);
    await ensureNamespace(kube.kubeconfigPath, namespace);
  });

  afterAll(async () => {
    const running = started.filter((o) => o.operator.isLeader);
    if (kube && running.length > 0) {
      // A leader is still there to run the finalizer.
      await cleanupWithKubectl(kube.kubeconfigPath, ['delete', 'queue', 'support', '-n', namespace, '--ignore-not-found', '--wait', '--timeout=30s']);
      await cleanupWithKubectl(kube.kubeconfigPath, ['delete', 'namespace', namespace, '--wait=false']);
    }
    await Promise.all(started.map((o) => o.operator.stop()));
    await nc?.drain();
    await Promise.all([services?.stop(), kube?.stop()]);
  });

  it('exactly one of two instances reconciles; stopping it hands over to the other', async () => {
    const a = await start('parley-operator-handover', 'operator-a');
    const b = await start('parley-operator-handover', 'operator-b');
    const leader = await oneLeader([a, b]);
    const standby = leader === a ? b : a;
    expect(await holder('parley-operator-handover')).toBe(leader.operator.identity);

    await k(['apply', '-f', '-'], queue(['support']));
    await objects.waitForReady('Queue', namespace, 'support', { status: 'True', reason: 'Ready' });
    expect(await leader.reconciles()).toBeGreaterThan(0);
    expect(await standby.reconciles()).toBe(0);
    expect([a, b].filter((o) => o.operator.isLeader)).toEqual([leader]);
    // The standby keeps warm caches: it is ready to take over at once.
    expect(standby.operator.synced).toBe(true);
    expect(await standby.registry.getSingleMetric('parley_operator_leader')?.get()).toMatchObject({ values: [{ value: 0 }] });
    expect(await leader.registry.getSingleMetric('parley_operator_leader')?.get()).toMatchObject({ values: [{ value: 1 }] });

    // Stopping releases the Lease: the standby takes it at its next try, not after expiry.
    await leader.operator.stop();
    await waitFor(() => standby.operator.isLeader || undefined, { what: 'the standby to lead', timeoutMs: 15_000 });
    expect(await holder('parley-operator-handover')).toBe(standby.operator.identity);

    const before = (await objects.get('Queue', namespace, 'support'))?.metadata.generation ?? 0;
    await k(['apply', '-f', '-'], queue(['support', 'billing']));
    await objects.waitForReady('Queue', namespace, 'support', { status: 'True', reason: 'Ready', generation: before + 1 });
    expect(await standby.reconciles()).toBeGreaterThan(0);
  });

  it('a leader that loses its Lease stops reconciling; after expiry one instance takes over', async () => {
    const timing = { leaseDurationSeconds: 2, renewEveryMs: 300, renewDeadlineMs: 1_200 };
    const c = await start('parley-operator-loss', 'operator-c', timing);
    const d = await start('parley-operator-loss', 'operator-d', timing);
    const first = await oneLeader([c, d]);

    // Someone else writes the Lease (as another operator would after a network partition).
    await k(['patch', 'lease', 'parley-operator-loss', '-n', 'default', '--type=merge', '-p', '{"spec":{"holderIdentity":"intruder"}}']);
    await waitFor(() => (!first.operator.isLeader && !c.operator.isLeader && !d.operator.isLeader) || undefined, { what: 'the leader to step down', timeoutMs: 5_000 });

    // The intruder never renews: once its lease expires, an instance acquires it again.
    const next = await oneLeader([c, d]);
    expect(await holder('parley-operator-loss')).toBe(next.operator.identity);
  });
});
