import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configKey, deleteManifest, openConfigBucket, putManifest, type Manifest } from '../../src/config/index.ts';
import { createLogger } from '../../src/observability/index.ts';
import { startLiveConfig, type LiveConfig } from '../../src/process/live-config.ts';
import { metricValue } from '../support/parley.ts';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';

const queue = (name: string, spec: unknown = {}): Manifest => ({ apiVersion: 'parley.dev/v1alpha1', kind: 'Queue', metadata: { name, namespace: 'acme' }, spec });

/** Every change of the configuration a process applies or refuses: one log line and one count. */
describe('configuration changes are logged once, with a metric', () => {
  let services: TestServices;
  let nc: NatsConnection;
  let live: LiveConfig;
  const registry = new Registry();
  const lines: Record<string, unknown>[] = [];
  const changes = () => lines.filter((l) => typeof l.msg === 'string' && /^configuration (applied|deleted|refused)$/.test(l.msg));

  beforeAll(async () => {
    services = await startTestServices();
    nc = await connect({ servers: services.natsUrl });
    const bucket = await openConfigBucket(nc);
    await putManifest(bucket, queue('existing'));
    live = await startLiveConfig(bucket, createLogger({}, { write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }), registry);
  });
  afterAll(async () => {
    live?.stop();
    await nc?.drain();
    await services?.stop();
  });

  it('what is there at start is summed up, not listed', () => {
    expect(changes()).toEqual([]);
    expect(lines.find((l) => l.msg === 'configuration loaded')).toMatchObject({ queues: 1 });
  });

  it('an applied, a refused and a deleted resource: one line each with kind, namespace, name, revision and outcome', async () => {
    const bucket = await openConfigBucket(nc);
    await putManifest(bucket, queue('support'));
    await bucket.put(configKey('Queue', 'acme', 'broken'), JSON.stringify(queue('broken', { method: 'no-such-method' })));
    await deleteManifest(bucket, 'Queue', 'acme', 'existing');
    // Writing the same manifest again changes nothing, and is not reported.
    expect(await putManifest(bucket, queue('support'))).toBe(false);

    await waitFor(() => (changes().length >= 3 ? true : undefined), { what: 'three configuration change lines' });
    expect(changes()).toEqual([
      expect.objectContaining({ level: 'info', msg: 'configuration applied', kind: 'Queue', namespace: 'acme', name: 'support', revision: expect.any(Number) as unknown, outcome: 'applied' }),
      expect.objectContaining({ level: 'error', msg: 'configuration refused', kind: 'Queue', namespace: 'acme', name: 'broken', outcome: 'refused', problems: expect.arrayContaining([expect.stringContaining('method')]) as unknown }),
      expect.objectContaining({ level: 'info', msg: 'configuration deleted', kind: 'Queue', namespace: 'acme', name: 'existing', outcome: 'deleted' }),
    ]);
    expect(live.config.queue('acme', 'support')).toBeDefined();
    expect(live.config.queue('acme', 'broken')).toBeUndefined();
    expect(await metricValue(registry, 'parley_config_changes_total', { kind: 'Queue', outcome: 'applied' })).toBe(1);
    expect(await metricValue(registry, 'parley_config_changes_total', { kind: 'Queue', outcome: 'refused' })).toBe(1);
    expect(await metricValue(registry, 'parley_config_changes_total', { kind: 'Queue', outcome: 'deleted' })).toBe(1);
  });
});
