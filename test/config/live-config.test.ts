import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';
import { ConfigError, ConfigRegistry, ConfigWatcher, configKey, openConfigBucket, putManifest, type Manifest } from '../../src/config/index.ts';
import { syncFolder } from '../../operator/sync-folder.ts';

const queue = (name: string, spec: Record<string, unknown>): Manifest => ({ apiVersion: 'parley.dev/v1alpha1', kind: 'Queue', metadata: { name, namespace: 'acme' }, spec });
const channelYaml = (queueName: string) => `apiVersion: parley.dev/v1alpha1
kind: Channel
metadata: { name: web, namespace: acme }
spec: { type: web, queue: ${queueName} }
`;
const queueYaml = (name: string, timeout = '30s') => `apiVersion: parley.dev/v1alpha1
kind: Queue
metadata: { name: ${name}, namespace: acme }
spec: { alertingTimeout: ${timeout} }
`;

describe('live configuration through the config bucket', () => {
  let services: TestServices;
  let nc: NatsConnection;
  let bucket: KV;
  let dir: string;
  const registry = new ConfigRegistry();
  const invalid: string[] = [];
  let watcher: ConfigWatcher;

  beforeAll(async () => {
    services = await startTestServices();
    nc = await connect({ servers: services.natsUrl });
    bucket = await openConfigBucket(nc);
    dir = await mkdtemp(join(tmpdir(), 'parley-folder-'));
    await putManifest(bucket, queue('support', { alertingTimeout: '30s' }));
    watcher = new ConfigWatcher(bucket, registry, { onInvalid: (key) => invalid.push(key) });
    await watcher.start();
  });

  afterAll(async () => {
    watcher?.stop();
    await nc?.drain();
    await services?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('starts with what the bucket holds', () => {
    expect(registry.queue('acme', 'support')?.alertingTimeoutMs).toBe(30_000);
  });

  it('applies a change, an addition and a deletion while running', async () => {
    await putManifest(bucket, queue('support', { alertingTimeout: '5s', method: 'rotation' }));
    await putManifest(bucket, queue('vip', {}));
    await waitFor(() => (registry.queue('acme', 'support')?.method === 'rotation' && registry.queue('acme', 'vip') ? true : undefined), { what: 'the change to apply' });
    expect(registry.queue('acme', 'support')?.alertingTimeoutMs).toBe(5_000);
    await bucket.delete(configKey('Queue', 'acme', 'vip'));
    await waitFor(() => (registry.queue('acme', 'vip') ? undefined : true), { what: 'the deletion to apply' });
  });

  it('leaves out an entry that does not parse and keeps the others', async () => {
    await bucket.put(configKey('Queue', 'acme', 'broken'), JSON.stringify(queue('broken', { method: 'random' })));
    await waitFor(() => (invalid.includes('queue.acme.broken') ? true : undefined), { what: 'the invalid entry to be reported' });
    expect(registry.queue('acme', 'broken')).toBeUndefined();
    expect(registry.queue('acme', 'support')).toBeDefined();
    await bucket.delete(configKey('Queue', 'acme', 'broken'));
  });

  it('syncs a folder into the bucket: writes what changed, deletes what is gone, and changes nothing when a file is invalid', async () => {
    await writeFile(join(dir, 'resources.yaml'), `${channelYaml('support')}---\n${queueYaml('support', '10s')}`);
    const first = await syncFolder(dir, bucket);
    expect(first).toEqual({ written: 2, unchanged: 0, deleted: 0, dangling: [] });
    await waitFor(() => (registry.channel('acme', 'web') && registry.queue('acme', 'support')?.alertingTimeoutMs === 10_000 ? true : undefined), { what: 'the folder to apply' });
    expect(await syncFolder(dir, bucket)).toEqual({ written: 0, unchanged: 2, deleted: 0, dangling: [] });

    // An invalid file: the whole folder is refused, the bucket keeps the last good state.
    await writeFile(join(dir, 'resources.yaml'), `${channelYaml('support')}---\n${queueYaml('support', '2h')}`);
    await expect(syncFolder(dir, bucket)).rejects.toBeInstanceOf(ConfigError);
    expect(registry.queue('acme', 'support')?.alertingTimeoutMs).toBe(10_000);

    // The queue's file goes while the channel still names it: the deletion goes live all the
    // same (routers go around the missing queue), and the dangling reference is reported.
    await writeFile(join(dir, 'resources.yaml'), channelYaml('support'));
    expect(await syncFolder(dir, bucket)).toEqual({
      written: 0,
      unchanged: 1,
      deleted: 1,
      dangling: ['Channel acme/web routes to queue "support", which does not exist in namespace acme'],
    });
    await waitFor(() => (registry.queueDeleted('acme', 'support') ? true : undefined), { what: 'the queue to be deleted' });

    await writeFile(join(dir, 'resources.yaml'), queueYaml('support', '10s'));
    expect(await syncFolder(dir, bucket)).toEqual({ written: 1, unchanged: 0, deleted: 1, dangling: [] });
    await waitFor(() => (registry.channel('acme', 'web') || registry.queueDeleted('acme', 'support') ? undefined : true), { what: 'the channel to go and the queue to come back' });
  });
});
