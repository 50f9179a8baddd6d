import { flatString } from './flat-string.ts';
import { ShapedJson } from './shaped-json.ts';

/** An active actor's committed state, as the cache is given it and gives it back. */
export interface CachedActor {
  tenant: string;
  /** Its persisted state (`value` and `context`, plain JSON): given back as a copy, so nothing is shared with a step that could change it. */
  state: unknown;
  /** The row's version after that commit: the next write is a compare-and-set on it. */
  version: number;
}

/** An actor as the cache keeps it: compact, its state as shaped JSON text (see `ShapedJson`), not a live XState actor. */
interface Entry {
  tenant: string;
  text: string;
  version: number;
  partition: number;
  /** The partition epoch the entry was committed under: valid only while the node writes with that epoch. */
  epoch: number;
  usedAt: number;
}

/** An actor's key in memory: its kind, tenant and id. */
export function actorKey(kind: string, tenant: string, id: string): string {
  return `${kind}\u0000${tenant}\u0000${id}`;
}

function kindOf(key: string): string {
  return key.slice(0, key.indexOf('\u0000'));
}

/** Lookups of one kind's actors in the cache: found (an event stepped from memory), or not (its row is read). */
export interface CacheLookups {
  hits: number;
  misses: number;
}

export interface ActorCacheOptions {
  /** An actor not used for this long is passivated (dropped from memory; its row is the truth). */
  idleMs: number;
  /** Actors kept at most; beyond, the least recently used is passivated. */
  maxActors: number;
}

/**
 * The active actors of the partitions a node owns, in memory, so that an event steps its
 * actor without reading its row. An entry is the state a committed transaction wrote,
 * tagged with the partition epoch it was committed under; it is used only by a
 * transaction fenced on that same epoch. Any other writer of the row must have claimed
 * the partition with a higher epoch first (claims are monotonic), so an entry whose
 * epoch is still the node's is the row's current state. The host fills it only after a
 * commit and evicts what a failed transaction touched.
 *
 * Entries are kept in the order of their last use (a Map keeps insertion order), which
 * makes passivation of idle actors and the LRU bound a walk from the front.
 */
export class ActorCache {
  private readonly entries = new Map<string, Entry>();
  /** Entries per kind, kept with `entries` (for the active-actors gauge). */
  private readonly perKind = new Map<string, number>();
  /** Lookups per kind since the start (for the metrics). */
  readonly lookups = new Map<string, CacheLookups>();
  /** The states' text without their keys: less than half of the JSON for a conversation. */
  private readonly codec = new ShapedJson();

  constructor(private readonly options: ActorCacheOptions) {}

  /** Actors in memory now. */
  get size(): number {
    return this.entries.size;
  }

  /** Actors in memory now, per kind. */
  sizes(): ReadonlyMap<string, number> {
    return this.perKind;
  }

  /** The actor's committed state, if it is cached for this partition under this epoch (an entry of another epoch is dropped). */
  get(key: string, partition: number, epoch: number, now = performance.now()): CachedActor | undefined {
    const entry = this.entries.get(key);
    const found = entry !== undefined && entry.partition === partition && entry.epoch === epoch;
    this.counted(key, found);
    if (!entry) return undefined;
    this.remove(key);
    if (!found) return undefined;
    entry.usedAt = now;
    this.add(key, entry);
    return { tenant: entry.tenant, state: this.codec.decode(entry.text), version: entry.version };
  }

  /** Keeps the state a transaction fenced on `epoch` committed. */
  put(key: string, partition: number, epoch: number, actor: CachedActor, now = performance.now()): void {
    this.remove(key);
    // Field by field, not `{ ...actor, … }`: V8 gave entries built with a spread, at times
    // with a fraction, a hidden class each (some 250 bytes more, and lookups that read
    // thousands of shapes). The key and the text in one piece (see `flatString`).
    this.add(flatString(key), { tenant: actor.tenant, text: flatString(this.codec.encode(actor.state)), version: actor.version, partition, epoch, usedAt: now });
    for (const [oldest] of this.entries) {
      if (this.entries.size <= this.options.maxActors) break;
      this.remove(oldest);
    }
  }

  /** The partition of an actor in memory (without counting as a use). */
  partitionOf(key: string): number | undefined {
    return this.entries.get(key)?.partition;
  }

  evict(key: string): void {
    this.remove(key);
  }

  /** Drops a partition's actors: the node gained or lost it (its epoch changed either way). */
  dropPartition(partition: number): void {
    for (const [key, entry] of this.entries) if (entry.partition === partition) this.remove(key);
  }

  clear(): void {
    this.entries.clear();
    this.perKind.clear();
  }

  /** Passivates the actors idle for `idleMs`; returns how many. */
  passivate(now = performance.now()): number {
    let dropped = 0;
    for (const [key, entry] of this.entries) {
      if (now - entry.usedAt < this.options.idleMs) break;
      this.remove(key);
      dropped++;
    }
    return dropped;
  }

  private add(key: string, entry: Entry): void {
    this.entries.set(key, entry);
    const kind = kindOf(key);
    this.perKind.set(kind, (this.perKind.get(kind) ?? 0) + 1);
  }

  private remove(key: string): void {
    if (!this.entries.delete(key)) return;
    const kind = kindOf(key);
    this.perKind.set(kind, (this.perKind.get(kind) ?? 1) - 1);
  }

  private counted(key: string, hit: boolean): void {
    const kind = kindOf(key);
    let lookups = this.lookups.get(kind);
    if (!lookups) this.lookups.set(kind, (lookups = { hits: 0, misses: 0 }));
    if (hit) lookups.hits++;
    else lookups.misses++;
  }
}
