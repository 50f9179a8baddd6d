/** An active actor as the cache keeps it: compact (its persisted snapshot as JSON text, not a live XState actor), with the row version it was committed with. */
export interface CachedActor {
  tenant: string;
  /** The persisted snapshot (`value` and `context`) as JSON text: a few hundred bytes, and nothing shared with a step that could change it. */
  snapshot: string;
  /** The row's version after that commit: the next write is a compare-and-set on it. */
  version: number;
}

interface Entry extends CachedActor {
  partition: number;
  /** The partition epoch the entry was committed under: valid only while the node writes with that epoch. */
  epoch: number;
  usedAt: number;
}

/** An actor's key in memory: its kind, tenant and id. */
export function actorKey(kind: string, tenant: string, id: string): string {
  return `${kind}\u0000${tenant}\u0000${id}`;
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

  constructor(private readonly options: ActorCacheOptions) {}

  /** Actors in memory now. */
  get size(): number {
    return this.entries.size;
  }

  /** The actor's committed state, if it is cached for this partition under this epoch (an entry of another epoch is dropped). */
  get(key: string, partition: number, epoch: number, now = performance.now()): CachedActor | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.partition !== partition || entry.epoch !== epoch) return undefined;
    entry.usedAt = now;
    this.entries.set(key, entry);
    return entry;
  }

  /** Keeps the state a transaction fenced on `epoch` committed. */
  put(key: string, partition: number, epoch: number, actor: CachedActor, now = performance.now()): void {
    this.entries.delete(key);
    this.entries.set(key, { ...actor, partition, epoch, usedAt: now });
    for (const [oldest] of this.entries) {
      if (this.entries.size <= this.options.maxActors) break;
      this.entries.delete(oldest);
    }
  }

  /** The partition of an actor in memory (without counting as a use). */
  partitionOf(key: string): number | undefined {
    return this.entries.get(key)?.partition;
  }

  evict(key: string): void {
    this.entries.delete(key);
  }

  /** Drops a partition's actors: the node gained or lost it (its epoch changed either way). */
  dropPartition(partition: number): void {
    for (const [key, entry] of this.entries) if (entry.partition === partition) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  /** Passivates the actors idle for `idleMs`; returns how many. */
  passivate(now = performance.now()): number {
    let dropped = 0;
    for (const [key, entry] of this.entries) {
      if (now - entry.usedAt < this.options.idleMs) break;
      this.entries.delete(key);
      dropped++;
    }
    return dropped;
  }
}
