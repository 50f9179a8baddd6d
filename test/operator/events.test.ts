import { ApiException, EventsV1Api, V1MicroTime, type EventsV1Event } from '@kubernetes/client-node';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeTarget, type KubeTarget } from '../support/kube/cluster.ts';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';
import { channelAndQueue } from '../support/config-folder.ts';
import { configKey, openConfigBucket } from '../../src/config/index.ts';
import { REPORTING_CONTROLLER } from '../../operator/index.ts';
import { bucketEntry, cleanupWithKubectl, ensureNamespace, kubectlOk, loadKubeConfig, Objects, startTestOperator, type TestOperator } from './support.ts';

const tenant = 'events-test';
const queueYaml = `apiVersion: parley.dev/v1alpha1
kind: Queue
metadata: { name: support, namespace: ${tenant} }
spec: {}
`;

/**
 * `kubectl delete queue` with a Channel naming it: the Queue leaves the live configuration,
 * the Channel says `MissingReference` and heals when the Queue comes back, and the operator
 * records one Event per change (events.k8s.io/v1), none on a resync that changes nothing.
 */
describe('a deleted Queue: dangling references and operator Events', () => {
  let services: TestServices;
  let kube: KubeTarget;
  let nc: NatsConnection;
  let bucket: KV;
  let op: TestOperator;
  let objects: Objects;
  let events: EventsV1Api;
  const k = (args: string[], stdin?: string) => kubectlOk(kube.kubeconfigPath, args, stdin);

  beforeAll(async () => {
    [services, kube] = await Promise.all([startTestServices(), kubeTarget()]);
    nc = await connect({ servers: services.natsUrl });
    bucket = await openConfigBucket(nc);
    const kc = loadKubeConfig(kube.kubeconfigPath);
    objects = new Objects(kc);
    events = kc.makeApiClient(EventsV1Api);
    await ensureNamespace(kube.kubeconfigPath, tenant);
    // A short resync: several pass during the test, and must record nothing.
    op = await startTestOperator(kc, bucket, { namespaces: [tenant], leaderElection: false, resyncEveryMs: 200 });
  });

  afterAll(async () => {
    if (kube && op) {
      await cleanupWithKubectl(kube.kubeconfigPath, ['delete', '-f', '-', '--ignore-not-found', '--wait', '--timeout=30s'], channelAndQueue(tenant));
      await cleanupWithKubectl(kube.kubeconfigPath, ['delete', 'namespace', tenant, '--wait=false']);
    }
    await op?.operator.stop();
    await nc?.drain();
    await Promise.all([services?.stop(), kube?.stop()]);
  });

  /** The operator's Events, oldest first, as `Kind/name Type Reason`. */
  const recorded = async (): Promise<string[]> => {
    const list = await events.listNamespacedEvent({ namespace: tenant });
    return list.items
      .filter((e: EventsV1Event) => e.reportingController === REPORTING_CONTROLLER)
      .sort((a, b) => new Date(a.eventTime).getTime() - new Date(b.eventTime).getTime())
      .map((e) => `${e.regarding?.kind}/${e.regarding?.name} ${e.type} ${e.reason}`);
  };
  const waitForEvents = (want: string[]) =>
    waitFor(async () => {
      const now = await recorded();
      return want.every((w) => now.includes(w)) ? now : undefined;
    }, { what: `events ${want.join(', ')}` });
  /** Waits until `n` more reconciles have run (resyncs included). */
  const reconcilesPass = async (n: number) => {
    const from = await op.reconciles();
    await waitFor(async () => ((await op.reconciles()) >= from + n ? true : undefined), { what: `${n} more reconciles` });
  };

  it('records Reconciled once per resource, then Deleted and MissingReference, heals, and repeats nothing on resync', { timeout: 60_000 }, async () => {
    // The Queue first: a Channel reconciled before its Queue is seen would (rightly) record a MissingReference.
    await k(['apply', '-f', '-'], queueYaml);
    await objects.waitForReady('Queue', tenant, 'support', { status: 'True', reason: 'Ready' });
    await k(['apply', '-f', '-'], channelAndQueue(tenant));
    await objects.waitForReady('Channel', tenant, 'whatsapp', { status: 'True', reason: 'Ready' });
    await waitForEvents(['Queue/support Normal Reconciled', 'Channel/whatsapp Normal Reconciled']);

    await k(['delete', 'queue', 'support', '-n', tenant, '--wait', '--timeout=30s']);
    const { ready } = await objects.waitForReady('Channel', tenant, 'whatsapp', { status: 'False', reason: 'MissingReference' });
    expect(ready.message).toContain('routes to queue "support", which does not exist');
    // The Channel stays live; the Queue is out of the bucket (a delete marker: routers take it out of service).
    expect(await bucketEntry(bucket, configKey('Channel', tenant, 'whatsapp'))).toBeDefined();
    expect((await bucket.get(configKey('Queue', tenant, 'support')))?.operation).toBe('DEL');
    await waitForEvents(['Queue/support Normal Deleted', 'Channel/whatsapp Warning MissingReference']);
    // kubectl get shows the reason.
    expect(await k(['get', 'channels', '-n', tenant])).toMatch(/whatsapp\s+whatsapp\s+support\s+MissingReference/);

    await k(['apply', '-f', '-'], queueYaml);
    await objects.waitForReady('Channel', tenant, 'whatsapp', { status: 'True', reason: 'Ready' });
    const healed = await waitFor(async () => {
      const now = await recorded();
      return now.filter((e) => e === 'Channel/whatsapp Normal Reconciled').length === 2 && now.filter((e) => e === 'Queue/support Normal Reconciled').length === 2 ? now : undefined;
    }, { what: 'the Channel and the new Queue reconciled' });

    // Resyncs reconcile everything every 200 ms: nothing changes, so nothing is recorded.
    await reconcilesPass(10);
    expect(await recorded()).toEqual(healed);
    // One Event per change, in any order between the two resources.
    expect([...healed].sort()).toEqual(
      [
        'Queue/support Normal Reconciled',
        'Channel/whatsapp Normal Reconciled',
        'Queue/support Normal Deleted',
        'Channel/whatsapp Warning MissingReference',
        'Queue/support Normal Reconciled',
        'Channel/whatsapp Normal Reconciled',
      ].sort(),
    );
  });

  it('the API refuses an Event it would not store, as a real cluster does', async () => {
    const body = { metadata: { generateName: 'x.', namespace: tenant }, eventTime: new V1MicroTime(Date.now()), action: 'Reconcile', reason: 'Reconciled', type: 'Info', reportingInstance: 'test' };
    const refused = await events.createNamespacedEvent({ namespace: tenant, body }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(ApiException);
    expect((refused as ApiException<unknown>).code).toBe(422);
    const { message } = JSON.parse(String((refused as ApiException<unknown>).body)) as { message: string };
    expect(message).toContain('reportingController: Required value');
    expect(message).toContain('type: Unsupported value: "Info"');
  });
});
