import type { AgentRecord } from './agent-index.ts';
import { AgentBits } from './agent-bits.ts';
import { SortedList } from './sorted-list.ts';

/** An agent's place in an order, its keys read once when it was placed. */
export interface Place {
  readonly record: AgentRecord;
  /** The agent's slot in its tenant's bit sets (a walk tests it without reading the record). */
  readonly slot: number;
  /** The order's score: higher first. */
  readonly key: number;
  /** The tie-break every method shares: idle longer first, then by id. */
  readonly idleSince: number;
  readonly id: string;
}

/**
 * The agents' slots in an order, contiguous, as a walk reads them: a step reads one
 * integer instead of following a pointer to a place. Written again only when an agent
 * is placed (or placed again); an agent taken out stays in it until then, and a walk
 * skips it by the order's `listed` bits.
 */
export interface WalkOrder {
  readonly slots: Int32Array;
  readonly length: number;
  /** Changes whenever the slots are written again: a position kept from a walk is valid while it is the same. */
  readonly version: number;
}

const byPlace = (a: Place, b: Place): number => {
  if (a.key !== b.key) return a.key > b.key ? -1 : 1;
  if (a.idleSince !== b.idleSince) return a.idleSince - b.idleSince;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
};

/**
 * Above this share of the order waiting to be placed again, `settle` rebuilds the order in
 * one merge rather than taking each out and putting it back (a binary search and a splice
 * each): an accept changes an agent's keys in the rotation and most-available orders, so a
 * pass that placed thousands of conversations moves thousands of agents.
 */
const REBUILD_SHARE = 1 / 32;

/**
 * Agents in one method's order (or by proficiency in one skill). Each agent's keys are
 * read once, when it is placed, and kept with it: comparing two agents reads two numbers,
 * and taking an agent out finds it by the keys it went in with, whatever its view says
 * now. An agent whose keys change is `replace`d: it is placed again by its new keys when
 * the order is next read, so an agent that changes many times between two reads is placed
 * once, and many agents at once are merged in one sweep.
 */
export class OrderedAgents {
  private readonly list = new SortedList<Place>(byPlace);
  private readonly places = new Map<AgentRecord, Place>();
  /** Agents to place again (or take out, if they no longer belong) when the order is next read. */
  private readonly pending = new Set<AgentRecord>();
  private readonly walk = { slots: new Int32Array(0), length: 0, version: 0 };
  /** The slots of the agents placed now: a walk skips the slots in its order of agents taken out since it was written. */
  readonly listed = new AgentBits();
  /** An agent was placed since the walk order was written. */
  private stale = true;

  /**
   * @param keyOf the order's score of an agent (higher first)
   * @param belongs whether an agent to place again belongs in the order now (has a free slot, has the skill) @default every agent does
   */
  constructor(
    private readonly keyOf: (record: AgentRecord) => number,
    private readonly belongs: (record: AgentRecord) => boolean = () => true,
  ) {}

  get size(): number {
    this.settle();
    return this.places.size;
  }

  has(record: AgentRecord): boolean {
    this.settle();
    return this.places.has(record);
  }

  /** Places the agent by its current keys (no change if it is placed already, or waits to be placed again). */
  add(record: AgentRecord): void {
    if (this.places.has(record) || this.pending.has(record)) return;
    const place = this.placeOf(record);
    this.listed.add(record.slot);
    this.places.set(record, place);
    this.list.insert(place);
    this.stale = true;
  }

  /** The agent's keys changed, or it may no longer belong: it is placed again when the order is next read. */
  replace(record: AgentRecord): void {
    this.pending.add(record);
  }

  /** Places these agents in an empty order at once (one sort). */
  load(records: Iterable<AgentRecord>): void {
    const places: Place[] = [];
    for (const record of records) {
      const place = this.placeOf(record);
      this.listed.add(record.slot);
      this.places.set(record, place);
      places.push(place);
    }
    this.list.load(places);
    this.stale = true;
  }

  private placeOf(record: AgentRecord): Place {
    return { record, slot: record.slot, key: this.keyOf(record), idleSince: record.view.lastActivityAt, id: record.view.id };
  }

  /** Takes the agent out; false when it was not placed. */
  remove(record: AgentRecord): boolean {
    this.pending.delete(record);
    const place = this.places.get(record);
    if (!place) return false;
    this.places.delete(record);
    this.listed.delete(record.slot);
    this.list.delete(place);
    return true;
  }

  /** The slots in order, for a walk (see `WalkOrder`): written again only if an agent was placed since the last walk. */
  walkOrder(): WalkOrder {
    this.settle();
    if (!this.stale) return this.walk;
    const walk = this.walk;
    if (walk.slots.length < this.list.size) walk.slots = new Int32Array(this.list.size * 2);
    let n = 0;
    for (const chunk of this.list.chunks) for (const place of chunk) walk.slots[n++] = place.slot;
    walk.length = n;
    walk.version++;
    this.stale = false;
    return walk;
  }

  /** A reader that moves through the agents in order (valid until the order changes). */
  cursor(): { next(): AgentRecord | undefined } {
    this.settle();
    const places = this.list.cursor();
    return { next: () => places.next()?.record };
  }

  /** Places again the agents `replace` named: one by one when they are few, else in one merge. */
  private settle(): void {
    const { pending, places } = this;
    if (pending.size === 0) return;
    if (pending.size < places.size * REBUILD_SHARE) {
      for (const record of pending) {
        const place = places.get(record);
        if (place) {
          places.delete(record);
          this.listed.delete(record.slot);
          this.list.delete(place);
        }
        if (this.belongs(record)) {
          const fresh = this.placeOf(record);
          places.set(record, fresh);
          this.listed.add(record.slot);
          this.list.insert(fresh);
        }
      }
      pending.clear();
      this.stale = true;
      return;
    }
    const moved: Place[] = [];
    for (const record of pending) {
      places.delete(record);
      this.listed.delete(record.slot);
      if (!this.belongs(record)) continue;
      const fresh = this.placeOf(record);
      places.set(record, fresh);
      this.listed.add(record.slot);
      moved.push(fresh);
    }
    moved.sort(byPlace);
    const merged: Place[] = [];
    let m = 0;
    for (const chunk of this.list.chunks) {
      for (const place of chunk) {
        if (pending.has(place.record)) continue;
        while (m < moved.length && byPlace(moved[m] as Place, place) < 0) merged.push(moved[m++] as Place);
        merged.push(place);
      }
    }
    while (m < moved.length) merged.push(moved[m++] as Place);
    pending.clear();
    this.list.reset(merged);
    this.stale = true;
  }
}
