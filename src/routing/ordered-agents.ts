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
 * Agents in one method's order (or by proficiency in one skill). Each agent's keys are
 * read once, when it is placed, and kept with it: comparing two agents reads two numbers,
 * and taking an agent out finds it by the keys it went in with, whatever its view says
 * now. An agent whose keys change is taken out and placed again by the index.
 */
export class OrderedAgents {
  private readonly list = new SortedList<Place>(byPlace);
  private readonly places = new Map<AgentRecord, Place>();

  /** @param keyOf the order's score of an agent (higher first) */
  constructor(private readonly keyOf: (record: AgentRecord) => number) {}

  get size(): number {
    return this.places.size;
  }

  has(record: AgentRecord): boolean {
    return this.places.has(record);
  }

  /** Places the agent by its current keys (no change if it is placed already). */
  add(record: AgentRecord): void {
    if (this.places.has(record)) return;
    const place = this.placeOf(record);
    this.places.set(record, place);
    this.list.insert(place);
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
    const place = this.places.get(record);
    if (!place) return false;
    this.places.delete(record);
    this.list.delete(place);
    return true;
  }

  /** The places in order, in chunks (valid until the order changes): what a walk reads. */
  get chunks(): readonly (readonly Place[])[] {
    return this.list.chunks;
  }

  /** Where a place is in the order, or would be if it was taken out since. */
  locate(place: Place): { chunk: number; index: number } {
    return this.list.locate(place);
  }

  /** A reader that moves through the agents in order (valid until the order changes). */
  cursor(): { next(): AgentRecord | undefined } {
    const places = this.list.cursor();
    return { next: () => places.next()?.record };
  }
}
