import type { AgentRecord } from './agent-index.ts';
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
    this.places.set(record, place);
    this.list.insert(place);
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
      this.places.set(record, place);
      places.push(place);
    }
    this.list.load(places);
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
    this.list.delete(place);
    return true;
  }

  /** The places in order, in chunks (valid until the order changes): what a walk reads. */
  get chunks(): readonly (readonly Place[])[] {
    this.settle();
    return this.list.chunks;
  }

  /** Where a place is in the order, or would be if it was taken out since. */
  locate(place: Place): { chunk: number; index: number } {
    this.settle();
    return this.list.locate(place);
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
          this.list.delete(place);
        }
        if (this.belongs(record)) {
          const fresh = this.placeOf(record);
          places.set(record, fresh);
          this.list.insert(fresh);
        }
      }
      pending.clear();
      return;
    }
    const moved: Place[] = [];
    for (const record of pending) {
      places.delete(record);
      if (!this.belongs(record)) continue;
      const fresh = this.placeOf(record);
      places.set(record, fresh);
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
  }
}
