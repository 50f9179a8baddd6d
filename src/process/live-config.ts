import type { KV, KvEntry } from '@nats-io/kv';
import type { Registry } from 'prom-client';
import { ConfigRegistry, ConfigWatcher, parseManifest, type Manifest } from '../config/index.ts';
import type { Logger } from '../observability/index.ts';
import { configChangesCounter, type ConfigOutcome } from './config-metrics.ts';

export interface LiveConfig {
  config: ConfigRegistry;
  /** Called after each change is applied (e.g. to make the scheduler look at everything again). */
  onChange: (listener: () => void) => void;
  stop: () => void;
}

/**
 * A ConfigRegistry kept equal to the config bucket, ready (current configuration applied)
 * when this resolves. Each later change to a resource is logged once, with its outcome,
 * and counted in `parley_config_changes_total` when a registry is given.
 */
export async function startLiveConfig(bucket: KV, log: Logger, registry?: Registry): Promise<LiveConfig> {
  const config = new ConfigRegistry();
  const listeners: (() => void)[] = [];
  const changes = registry && configChangesCounter(registry);
  // Its own watch of updates only (what is there at start is summed up once below): the
  // watcher applies the set, this one tells what changed, resource by resource.
  const updates = await bucket.watch({ include: 'updates' });
  void (async () => {
    for await (const entry of updates) {
      const change = describe(entry);
      changes?.inc({ kind: change.kind, outcome: change.outcome });
      const fields = { kind: change.kind, namespace: change.namespace, name: change.name, revision: entry.revision, outcome: change.outcome };
      if (change.outcome === 'refused') log.error('configuration refused', { ...fields, problems: change.problems });
      else log.info(`configuration ${change.outcome}`, fields);
    }
  })().catch((err: unknown) => log.warn('configuration change log ended', { err }));
  let loaded = false;
  const watcher = new ConfigWatcher(bucket, config, {
    // Later ones are told by the change log above.
    onInvalid: (key, problems) => loaded || log.error('configuration refused', { key, outcome: 'refused', problems }),
    onApplied: () => listeners.forEach((listener) => listener()),
  });
  await watcher.start();
  loaded = true;
  log.info('configuration loaded', { channels: config.allChannels().length, queues: config.allQueues().length, campaigns: config.allCampaigns().length });
  return {
    config,
    onChange: (listener) => listeners.push(listener),
    stop: () => {
      updates.stop();
      watcher.stop();
    },
  };
}

interface Change {
  kind: string;
  namespace: string;
  name: string;
  outcome: ConfigOutcome;
  problems?: string[];
}

/** A bucket entry (`<kind>.<namespace>.<name>`) as a change of one resource. */
function describe(entry: KvEntry): Change {
  const [kind = '', namespace = '', name = ''] = entry.key.split('.');
  const id = { kind: kind.charAt(0).toUpperCase() + kind.slice(1), namespace, name };
  if (entry.operation !== 'PUT') return { ...id, outcome: 'deleted' };
  let manifest: Manifest;
  try {
    manifest = JSON.parse(entry.string()) as Manifest;
  } catch {
    return { ...id, outcome: 'refused', problems: ['not JSON'] };
  }
  const parsed = parseManifest(manifest);
  return parsed.ok ? { ...id, outcome: 'applied' } : { ...id, outcome: 'refused', problems: parsed.problems };
}
