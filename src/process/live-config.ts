import type { KV } from '@nats-io/kv';
import { ConfigRegistry, ConfigWatcher } from '../config/index.ts';
import type { Logger } from '../observability/index.ts';

export interface LiveConfig {
  config: ConfigRegistry;
  /** Called after each change is applied (e.g. to make the scheduler look at everything again). */
  onChange: (listener: () => void) => void;
  stop: () => void;
}

/** A ConfigRegistry kept equal to the config bucket, ready (current configuration applied) when this resolves. */
export async function startLiveConfig(bucket: KV, log: Logger): Promise<LiveConfig> {
  const config = new ConfigRegistry();
  const listeners: (() => void)[] = [];
  const watcher = new ConfigWatcher(bucket, config, {
    onInvalid: (key, problems) => log.error('invalid configuration entry', { key, problems }),
    onApplied: () => listeners.forEach((listener) => listener()),
  });
  await watcher.start();
  return { config, onChange: (listener) => listeners.push(listener), stop: () => watcher.stop() };
}
