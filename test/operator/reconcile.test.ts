import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeTarget, type KubeTarget } from '../support/kube/cluster.ts';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';
import { configKey, loadManifests, openConfigBucket, parseManifest, toManifest, type Manifest } from '../../src/config/index.ts';
import { kindInfo } from '../../operator/index.ts';
import { bucketEntry, cleanupWithKubectl, ensureNamespace, kubectlOk, loadKubeConfig, nextSecondAfter, Objects, startTestOperator, type TestOperator } from './support.ts';

const examples = new URL('../../examples/', import.meta.url).pathname;

/** kubectl apply → operator → configuration bucket and status, on the resources of examples/. */
describe('operator reconciles Channel, Queue and Campaign resources', () => {
  let services: TestServices;
  let kube: KubeTarget;
  let nc: NatsConnection;
  let kv: KV;
  let objects: Objects;
  let op: TestOperator;
  let files: Manifest[];
  const k = (...args: string[]) => kubectlOk(kube.kubeconfigPath, args);

  beforeAll(async () => {
    [services, kube] = await Promise.all([startTestServices(), kubeTarget()]);
    nc = await connect({ servers: services.natsUrl });
    kv = await openConfigBucket(nc);
    const kc = loadKubeConfig(kube.kubeconfigPath);
    objects = new Objects(kc);
    op = await startTestOperator(kc, kv, { leaderElection: { name: 'parley-operator-reconcile-test' } });
    files = (await loadManifests(examples)).map((l) => l.manifest);
    await ensureNamespace(kube.kubeconfigPath, 'demo');
  });

  afterAll(async () => {
    // Delete while the operator runs: it must remove its finalizers for the objects to go.
    if (kube && op) {
      await cleanupWithKubectl(kube.kubeconfigPath, ['delete', '-f', examples, '--ignore-not-found', '--wait', '--timeout=30s']);
      await cleanupWithKubectl(kube.kubeconfigPath, ['delete', 'namespace', 'demo', '--ignore-not-found', '--wait=false']);
    }
    await op?.operator.stop();
    await nc?.drain();
    await Promise.all([services?.stop(), kube?.stop()]);
  });

  it('applies examples/: every resource Ready at its generation, READY column, bucket holds each manifest', async () => {
    await k('apply', '-f', examples);
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const file of files) {
      const { kind, metadata } = file;
      const { obj, ready } = await objects.waitForReady(kind, metadata.namespace, metadata.name, { status: 'True', reason: 'Ready' });
      expect(obj.status?.observedGeneration).toBe(obj.metadata.generation);
      expect(ready.observedGeneration).toBe(obj.metadata.generation);
      expect(obj.metadata.finalizers).toContain(kindInfo[kind].finalizer);
      if (kind === 'Campaign') expect(obj.status?.progress).toEqual({ total: 0, processed: 0, sent: 0, failed: 0, skipped: 0 });
      // The bucket holds the resource as the cluster has it (CRD defaults applied), which
      // means the same as the file once both are resolved.
      const entry = (await bucketEntry(kv, configKey(kind, metadata.namespace, metadata.name))) as Manifest;
      expect(entry).toEqual(toManifest(obj as unknown as Parameters<typeof toManifest>[0]));
      const [fromBucket, fromFile] = [parseManifest(entry), parseManifest(file)];
      expect(fromBucket.ok && fromFile.ok && fromBucket.resource).toEqual(fromFile.ok && fromFile.resource);
    }

    const table = await k('get', 'channels', '-n', 'demo');
    const [header = '', ...rows] = table.trim().split('\n');
    const readyAt = header.split(/\s{2,}/).indexOf('READY');
    expect(readyAt).toBeGreaterThan(0);
    expect(rows.map((r) => r.split(/\s{2,}/)[0])).toEqual(['sms', 'whatsapp']);
    for (const row of rows) expect(row.split(/\s{2,}/)[readyAt]).toBe('Ready');
  });

  it('reports an invalid change on the resource, keeps the last good configuration live, and recovers', async () => {
    const key = configKey('Channel', 'demo', 'whatsapp');
    const good = await bucketEntry(kv, key);
    expect(good).toMatchObject({ spec: { queue: 'support' } });
    const before = await objects.waitForReady('Channel', 'demo', 'whatsapp', { status: 'True', reason: 'Ready' });

    await nextSecondAfter(before.ready.lastTransitionTime);
    // A duration out of range: the schema accepts its syntax, only Parley its range.
    await k('patch', 'channel', 'whatsapp', '-n', 'demo', '--type=merge', '-p', '{"spec":{"threadingWindow":"90d"}}');
    const invalid = await objects.waitForReady('Channel', 'demo', 'whatsapp', { status: 'False', reason: 'Invalid' });
    expect(invalid.obj.metadata.generation).toBe((before.obj.metadata.generation ?? 0) + 1);
    expect(invalid.ready.message).toContain('spec.threadingWindow: 90d is out of range: from 60s to 30d');
    expect(invalid.ready.message).toContain('last valid version stays live');
    expect(invalid.ready.lastTransitionTime).not.toBe(before.ready.lastTransitionTime);
    expect(await bucketEntry(kv, key)).toEqual(good);
    const table = await k('get', 'channel', 'whatsapp', '-n', 'demo');
    expect(table).toMatch(/\bInvalid\b/);

    await nextSecondAfter(invalid.ready.lastTransitionTime);
    await k('patch', 'channel', 'whatsapp', '-n', 'demo', '--type=merge', '-p', '{"spec":{"threadingWindow":null}}');
    const fixed = await objects.waitForReady('Channel', 'demo', 'whatsapp', { status: 'True', reason: 'Ready' });
    expect(fixed.ready.lastTransitionTime).not.toBe(invalid.ready.lastTransitionTime);
    expect(await bucketEntry(kv, key)).toEqual(good);

    // A new valid generation is reconciled (observedGeneration moves, the bucket follows)
    // but Ready stays True, so its lastTransitionTime stays put.
    await nextSecondAfter(fixed.ready.lastTransitionTime);
    await k('patch', 'channel', 'whatsapp', '-n', 'demo', '--type=merge', '-p', '{"spec":{"threadingWindow":"48h"}}');
    const edited = await objects.waitForReady('Channel', 'demo', 'whatsapp', { status: 'True', reason: 'Ready', generation: (fixed.obj.metadata.generation ?? 0) + 1 });
    await waitFor(async () => ((await bucketEntry(kv, key)) as { spec?: { threadingWindow?: string } } | undefined)?.spec?.threadingWindow === '48h' || undefined, {
      what: 'the bucket to hold the 48h threading window',
    });
    expect(edited.ready.lastTransitionTime).toBe(fixed.ready.lastTransitionTime);
  });

  it('a Queue that goes away leaves the Channels that route to it live, with reason MissingReference', async () => {
    const channelKey = configKey('Channel', 'demo', 'whatsapp');
    const live = await bucketEntry(kv, channelKey);
    await k('delete', 'queue', 'billing', '-n', 'demo', '--wait=true', '--timeout=20s');
    await waitFor(async () => (await bucketEntry(kv, configKey('Queue', 'demo', 'billing'))) === undefined || undefined, { what: 'billing out of the bucket' });
    // whatsapp's inbound flow sends refunds to billing.
    const { ready } = await objects.waitForReady('Channel', 'demo', 'whatsapp', { status: 'False', reason: 'MissingReference' });
    expect(ready.message).toContain('queue "billing"');
    expect(await bucketEntry(kv, channelKey)).toEqual(live);

    await k('apply', '-f', `${examples}queues.yaml`);
    await objects.waitForReady('Channel', 'demo', 'whatsapp', { status: 'True', reason: 'Ready' });
  });

  it('delete runs the finalizer: the bucket entry goes, then the object', async () => {
    const key = configKey('Channel', 'demo', 'sms');
    expect(await bucketEntry(kv, key)).toBeDefined();
    expect((await objects.get('Channel', 'demo', 'sms'))?.metadata.finalizers).toEqual(['channel.parley.dev/finalizer']);

    await k('delete', 'channel', 'sms', '-n', 'demo', '--wait=false');
    await waitFor(async () => (await objects.get('Channel', 'demo', 'sms')) === undefined || undefined, { what: 'channel sms to be gone' });
    expect(await bucketEntry(kv, key)).toBeUndefined();
    expect((await kv.get(key))?.operation).toBe('DEL');

    // The campaign sends through sms: it is now invalid, and stays live as it was.
    const { ready } = await objects.waitForReady('Campaign', 'demo', 'renewal-reminder', { status: 'False', reason: 'Invalid' });
    expect(ready.message).toContain('channel "sms"');
    expect(await bucketEntry(kv, configKey('Campaign', 'demo', 'renewal-reminder'))).toBeDefined();
  });

  it('writes nothing when nothing changed', async () => {
    const statusPath = '/apis/parley.dev/v1alpha1/namespaces/demo/queues/support/status';
    const statusWrites = () => kube.server?.requests().filter((r) => r.method === 'PATCH' && r.path === statusPath).length ?? 0;
    const before = { reconciles: await op.reconciles(), writes: statusWrites(), obj: await objects.get('Queue', 'demo', 'support') };
    // An annotation is not a spec change: the reconcile it triggers finds nothing to write.
    await k('annotate', 'queue', 'support', '-n', 'demo', 'example.com/touched=yes');
    await waitFor(async () => (await op.reconciles()) > before.reconciles || undefined, { what: 'a reconcile of the annotated queue' });
    expect((await objects.get('Queue', 'demo', 'support'))?.status).toEqual(before.obj?.status);
    expect(statusWrites()).toBe(before.writes);
  });
});
