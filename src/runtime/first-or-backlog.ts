import { flatString } from './flat-string.ts';

/** Keys remembered as seen, at most (beyond, the memory starts afresh: a few follow-ups then count as first messages). */
const REMEMBERED_KEYS = 100_000;

/** The lane of work keyed by a conversation key: a new key's first work, or the backlog of the others. */
export type KeyLane = 'first' | 'backlog';

/**
 * Sorts work keyed by a conversation key into two lanes, so that a new customer need not
 * wait behind a backlog of follow-ups: `first` for a key not seen before, `backlog` for
 * the others. A key's waiting work stays in one lane (the next work of a key whose first
 * still waits goes behind it), so each key keeps its order whichever lane is served. The
 * group commit and the router's forwarding both schedule by it.
 */
export class FirstOrBacklog {
  private readonly waiting: Record<KeyLane, Map<string, number>> = { first: new Map(), backlog: new Map() };
  private readonly seen = new Set<string>();

  /** The lane of the key's next work, counted as waiting there until `leave`. */
  enter(key: string): KeyLane {
    // A key with work in the backlog stays there (the memory of keys seen may have been cleared meanwhile).
    const lane: KeyLane = this.waiting.first.has(key) || (!this.seen.has(key) && !this.waiting.backlog.has(key)) ? 'first' : 'backlog';
    if (lane === 'first') {
      if (this.seen.size >= REMEMBERED_KEYS) this.seen.clear();
      // Remembered long after its work: in one piece (see `flatString`).
      this.seen.add(flatString(key));
    }
    count(this.waiting[lane], key, 1);
    return lane;
  }

  /** The key's work left its lane (taken into a transaction, started). */
  leave(key: string, lane: KeyLane): void {
    count(this.waiting[lane], key, -1);
  }
}

function count(counts: Map<string, number>, key: string, by: 1 | -1): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n === 0) counts.delete(key);
  else counts.set(key, n);
}
