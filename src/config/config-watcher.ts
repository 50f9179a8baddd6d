import type { KV } from '@nats-io/kv';
import type { Manifest } from './manifest.ts';
import { parseManifest } from './manifest.ts';
import type { ConfigRegistry } from './registry.ts';
import type { Resource } from './resources.ts';

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
  private watch: { stop(): void } | undefined;
  private applyQueued = false;

  constructor(
    private readonly kv: KV,
    private readonly registry: ConfigRegistry,
    private readonly options: ConfigWatcherOptions = {},
  ) {}

  /** Resolves once the current configuration is applied. */
  async start(): Promise<void> {
    // Remember where the bucket stands, read it whole, then follow changes from there;
    // revisions tell a change already read from a new one.
    const status = await this.kv.status();
    const from = status.streamInfo.state.last_seq;
    for await (const key of await this.kv.keys()) {
      const entry = await this.kv.get(key);
      if (entry && entry.operation === 'PUT') this.accept(key, entry.revision, entry.string());
    }
    this.apply();
    const iterator = await this.kv.watch({ key: '>', resumeFromRevision: from + 1 });
    this.watch = iterator;
    void (async () => {
      for await (const entry of iterator) {
        const known = this.entries.get(entry.key);
        if (known && known.revision >= entry.revision) continue;
        if (entry.operation === 'PUT') this.accept(entry.key, entry.revision, entry.string());
        else this.entries.delete(entry.key);
        this.scheduleApply();
      }
    })();
  }

  stop(): void {
    this.watch?.stop();
  }

  private accept(key: string, revision: number, text: string): void {
    let manifest: Manifest;
    try {
      manifest = JSON.parse(text) as Manifest;
    } catch {
      this.options.onInvalid?.(key, ['not JSON']);
      return;
    }
    const parsed = parseManifest(manifest);
    if (parsed.ok) this.entries.set(key, { revision, resource: parsed.resource });
    else {
      this.entries.delete(key);
      this.options.onInvalid?.(key, parsed.problems);
    }
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
    this.registry.apply([...this.entries.values()].map((e) => e.resource));
    this.options.onApplied?.(this.entries.size);
  }
}
