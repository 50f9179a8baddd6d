/**
 * The object store: one global, increasing resourceVersion (like etcd's
 * revision), objects by type/namespace/name, and a bounded history of change
 * events that watches replay from. Events older than the retained window are
 * "compacted": a watch from before it gets 410 Expired.
 */
import type { Obj } from './meta.ts';
import { metaOf, str } from './meta.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ChangeEvent {
  type: EventType;
  /** typeKey(): "<group>/<plural>". */
  key: string;
  rv: number;
  object: Obj;
  /** The previous state (MODIFIED, DELETED). */
  previous?: Obj;
}

const objectKey = (namespace: string, name: string): string => `${namespace}/${name}`;

export class ObjectStore {
  private rv: number;
  private readonly data = new Map<string, Map<string, Obj>>();
  private history: ChangeEvent[] = [];
  /** Every event with rv <= this has been dropped from history. */
  private compactedThrough: number;
  private readonly listeners = new Set<(e: ChangeEvent) => void>();

  constructor(private historyLimit: number) {
    this.rv = 1;
    this.compactedThrough = 1;
  }

  setHistoryLimit(n: number): void {
    this.historyLimit = n;
    this.trim();
  }

  currentRv(): number {
    return this.rv;
  }

  /** Oldest resourceVersion a watch can still start from. */
  oldestWatchableRv(): number {
    return this.compactedThrough;
  }

  /** Drops all history: any watch from an older resourceVersion now gets 410. */
  compact(): void {
    this.history = [];
    this.compactedThrough = this.rv;
  }

  private bucket(key: string): Map<string, Obj> {
    let b = this.data.get(key);
    if (!b) {
      b = new Map();
      this.data.set(key, b);
    }
    return b;
  }

  get(key: string, namespace: string, name: string): Obj | undefined {
    return this.data.get(key)?.get(objectKey(namespace, name));
  }

  /** Objects of a type, optionally in one namespace, sorted by namespace then name. */
  list(key: string, namespace?: string): Obj[] {
    const out: Obj[] = [];
    for (const obj of this.data.get(key)?.values() ?? []) {
      if (namespace !== undefined && (str(metaOf(obj).namespace) ?? '') !== namespace) continue;
      out.push(obj);
    }
    return out.sort((a, b) => {
      const ka = objectKey(str(metaOf(a).namespace) ?? '', str(metaOf(a).name) ?? '');
      const kb = objectKey(str(metaOf(b).namespace) ?? '', str(metaOf(b).name) ?? '');
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
  }

  /** Every key that has objects in a namespace (for namespace deletion). */
  keysWithObjectsIn(namespace: string): string[] {
    const keys: string[] = [];
    for (const [key, b] of this.data) {
      for (const obj of b.values()) {
        if (str(metaOf(obj).namespace) === namespace) {
          keys.push(key);
          break;
        }
      }
    }
    return keys;
  }

  /** Stores a new object; sets metadata.resourceVersion. Caller checks existence. */
  create(key: string, obj: Obj): Obj {
    const meta = metaOf(obj);
    const rv = this.next();
    meta.resourceVersion = String(rv);
    const stored = structuredClone(obj);
    this.bucket(key).set(objectKey(str(meta.namespace) ?? '', str(meta.name) ?? ''), stored);
    this.emit({ type: 'ADDED', key, rv, object: stored });
    return structuredClone(stored);
  }

  update(key: string, obj: Obj): Obj {
    const meta = metaOf(obj);
    const k = objectKey(str(meta.namespace) ?? '', str(meta.name) ?? '');
    const previous = this.bucket(key).get(k);
    const rv = this.next();
    meta.resourceVersion = String(rv);
    const stored = structuredClone(obj);
    this.bucket(key).set(k, stored);
    this.emit({ type: 'MODIFIED', key, rv, object: stored, ...(previous ? { previous } : {}) });
    return structuredClone(stored);
  }

  /** Removes an object; the DELETED event carries it with the deletion's resourceVersion. */
  remove(key: string, namespace: string, name: string): Obj | undefined {
    const k = objectKey(namespace, name);
    const previous = this.bucket(key).get(k);
    if (!previous) return undefined;
    this.bucket(key).delete(k);
    const rv = this.next();
    const gone = structuredClone(previous);
    metaOf(gone).resourceVersion = String(rv);
    this.emit({ type: 'DELETED', key, rv, object: gone, previous });
    return structuredClone(gone);
  }

  /** Events after `rv`, or 'expired' when some of them were compacted away. */
  eventsAfter(rv: number): ChangeEvent[] | 'expired' {
    if (rv < this.compactedThrough) return 'expired';
    return this.history.filter((e) => e.rv > rv);
  }

  subscribe(fn: (e: ChangeEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private next(): number {
    this.rv += 1;
    return this.rv;
  }

  private emit(e: ChangeEvent): void {
    this.history.push(e);
    this.trim();
    for (const fn of [...this.listeners]) fn(e);
  }

  private trim(): void {
    const excess = this.history.length - this.historyLimit;
    if (excess > 0) {
      const dropped = this.history.splice(0, excess);
      const last = dropped[dropped.length - 1];
      if (last) this.compactedThrough = Math.max(this.compactedThrough, last.rv);
    }
  }
}
