import type { AgentOrder } from './agent-order.ts';
import { SlotSet } from './slot-set.ts';

/**
 * What the choices for one kind of conversation learned within a pass. In a pass agents
 * only lose room (views change between passes), so an agent found ineligible stays so, and
 * the eligible agents keep their order:
 * - the free agents with every required skill are intersected once, from the kind's first
 *   choice on, as far as its choices need; they drop those that lost their last slot since
 *   only when they need the exact count (`bits`, `leavesSeen`);
 * - the next conversation of the kind starts its walk at the first agent a walk found
 *   eligible (`from`);
 * - and takes the first agent with room left in the ranking an earlier comparison made
 *   (`ranked`, built by a kind's second one).
 */
export class KindPass {
  /** Used in this pass (reset when it ends). */
  used = false;
  /** The free agents with every required skill, by slot (from the kind's first choice in the pass on). */
  bits: SlotSet | undefined = undefined;
  /** `FreeAgents.leaves` when `bits` was last brought up to date. */
  leavesSeen = 0;
  /** The position, in the walk order `fromOrder` as it stood at `fromVersion`, of the first agent a walk found eligible. */
  from: number | undefined = undefined;
  fromOrder: AgentOrder | undefined = undefined;
  fromVersion = 0;
  /** How many comparisons of every eligible agent this pass made for the kind. */
  compared = 0;
  /** The eligible agents' slots, best first. */
  ranked: number[] | undefined = undefined;
  /** Where in `ranked` the agents with room may start (those before have none left). */
  next = 0;

  /** Forgets the pass (its set goes back to the pool). */
  reset(): void {
    if (this.bits) releaseSlotSet(this.bits);
    this.used = false;
    this.bits = undefined;
    this.leavesSeen = 0;
    this.from = undefined;
    this.fromOrder = undefined;
    this.fromVersion = 0;
    this.compared = 0;
    this.ranked = undefined;
    this.next = 0;
  }
}

/** A kind's pass state, fresh. */
export const freshPass = (): KindPass => new KindPass();

/** Sets by width, handed back when a pass ends: the kinds of a pass reuse those of the previous one. */
const pool = new Map<number, SlotSet[]>();

/** An empty set of this many words. */
export function takeSlotSet(words: number): SlotSet {
  return pool.get(words)?.pop() ?? new SlotSet(words);
}

function releaseSlotSet(set: SlotSet): void {
  set.clear();
  const words = set.words.length;
  let free = pool.get(words);
  if (!free) pool.set(words, (free = []));
  free.push(set);
}
