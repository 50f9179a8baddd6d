import type { KV } from '@nats-io/kv';
import type { Manifest } from './manifest.ts';
import { parseManifest } from './manifest.ts';
import type { ConfigRegistry } from './registry.ts';
import type { Resource } from './resources.ts';

/** The kind of a `configKey` (`queue.acme.support` → Queue). */
const kindOfKey: Record<string, Resource['kind']> = { queue: 'Queue', channel: 'Channel', campaign: 'Campaign' };

export interface ConfigWatcherOptions {
  /** An entry that does not parse (written by a newer or broken writer): it is left out. */
  onInvalid?(key: string, problems: string[]): void;
  /** After each applied change, with the number of resources live. */
  onApplied?(count: number): void;
}

/**
 * Keeps a ConfigRegistry equal to the configuration bucket: loads every entry, applies
 * them as one set, then applies each later change as it comes — no restart needed.
 */
export class ConfigWatcher {
  private readonly entries = new Map<string, { revision: number; resource: Resource }>();
  /** Keys whose last entry is a delete marker. */
  private readonly deleted = new Set<string>();
  private watch: { stop(): void } | undefined;
  private applyQueued = false;

  constructor(
    private readonly kv: KV,
    private readonly registry: ConfigRegistry,
    private readonly options: ConfigWatcherOptions = {},
  ) {}

  /** Resolves once the current configuration is applied. */
  async start(): Promise<void> {
    // Remember where the bucket stands, then watch every key's last value (delete markers
    // included: they say which resources were deleted on purpose); the initial values end
    // with the entry at that position, as it is the last value of its key.
    const status = await this.kv.status();
    const upTo = status.streamInfo.state.last_seq;
    const iterator = await this.kv.watch({ key: '>' });
    this.watch = iterator;
    let initialized = upTo === 0;
    const ready = new Promise<void>((resolve, reject) => {
      void (async () => {
        for await (const entry of iterator) {
          const known = this.entries.get(entry.key);
          if (known && known.revision >= entry.revision) continue;
          if (entry.operation === 'PUT') this.accept(entry.key, entry.revision, entry.string());
          else {
            this.entries.delete(entry.key);
            this.deleted.add(entry.key);
          }
          if (initialized) this.scheduleApply();
          else if (entry.revision >= upTo) {
            initialized = true;
            resolve();
          }
        }
        if (!initialized) reject(new Error('the configuration bucket watch ended before the current configuration was read'));
      })().catch(reject);
      if (initialized) resolve();
    });
    await ready;
    this.apply();
  }

  stop(): void {
    this.watch?.stop();
  }

  private accept(key: string, revision: number, text: string): void {
    let manifest: Manifest;
    try {
      manifest = JSON.parse(text) as Manifest;
    } catch {
      this.deleted.delete(key);
      this.options.onInvalid?.(key, ['not JSON']);
      return;
    }
    this.deleted.delete(key);
    const parsed = parseManifest(manifest);
    // An entry that does not parse keeps the last one that did: dropping it would read as
    // a deletion, and take a queue out of service over a writer's bug.
    if (parsed.ok) this.entries.set(key, { revision, resource: parsed.resource });
    else this.options.onInvalid?.(key, parsed.problems);
  }

  /** Several changes in a burst are applied once, as one set. */
  private scheduleApply(): void {
    if (this.applyQueued) return;
    this.applyQueued = true;
    queueMicrotask(() => {
      this.applyQueued = false;
      this.apply();
    });
  }

  private apply(): void {
    const deleted = [...this.deleted].flatMap((key) => {
      const [kind = '', namespace = '', name = ''] = key.split('.');
      const Kind = kindOfKey[kind];
      return Kind ? [{ kind: Kind, namespace, name }] : [];
    });
    this.registry.apply(
      [...this.entries.values()].map((e) => e.resource),
      deleted,
    );
    this.options.onApplied?.(this.entries.size);
  }
}
