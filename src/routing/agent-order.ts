import { grown } from './grown.ts';

/**
 * What an order reads of its tenant's agents, by slot, as numbers: placing agents reads no
 * record, and the same code places them in every order.
 */
export interface OrderSource {
  /** How many slots the tenant has. */
  readonly size: number;
  /** The keys of order `which` by slot (higher first; NaN: not in that order, lacking the skill). */
  keys(which: number): Float64Array;
  /** Each agent's last activity by slot: the tie-break every order shares (idle longer first). */
  idleSince(): Float64Array;
  /** Each agent's rank by id among the tenant's agents, by slot: the last tie-break. */
  idRanks(): Int32Array;
}

/**
 * Every agent of a tenant in one method's order (or, for a skill, every agent with it, by
 * proficiency), whatever its room: higher key first, then idle longer, then by id — so
 * the first eligible agent with a free slot in it is the agent the method prefers. A walk
 * reads the slots, contiguous, and tests each against bit sets (free, skilled); nothing is
 * taken out when an agent's slots fill up or free, so offers and accepts cost the order
 * nothing unless they change an agent's keys.
 *
 * An agent's keys are read when it is placed and kept by slot, so comparing two agents
 * reads numbers. An agent whose keys may have changed is `touch`ed: it is placed again by
 * its new keys when the order is next read — once however often it changed, and all of
 * them in one merge.
 */
export class AgentOrder {
  /** The slots in order: the first `length` of them. Written again only when agents are placed again. */
  slots = new Int32Array(0);
  length = 0;
  /** Changes whenever the slots are written again: a position kept from a walk is valid while it is the same. */
  version = 0;
  /** By slot: its position in `slots` (for the slots in the order). Comparing two agents by the order reads two of these. */
  positions = new Int32Array(0);
  private spare = new Int32Array(0);
  /** By slot: the key and idle time each agent was placed with. */
  private keys = new Float64Array(0);
  private idle = new Float64Array(0);
  /** By slot: waiting to be placed again (and in `pending`). */
  private touched = new Uint8Array(0);
  private pending: number[] = [];
  private readonly moved: number[] = [];
  /** The id ranks as of the last `settle`. */
  private ranks: Int32Array = new Int32Array(0);
  /** Whether slot `a` comes before slot `b`, by the keys they were placed with (negative: before); small integers out, never a heap number. */
  private readonly before = (a: number, b: number): number => {
    const x = this.keys[a] as number;
    const y = this.keys[b] as number;
    if (x !== y) return x > y ? -1 : 1;
    const p = this.idle[a] as number;
    const q = this.idle[b] as number;
    if (p !== q) return p < q ? -1 : 1;
    return (this.ranks[a] as number) - (this.ranks[b] as number);
  };

  /** @param which the order's keys in its source (see `OrderSource.keys`) */
  constructor(
    private readonly source: OrderSource,
    private readonly which: number,
  ) {}

  /** The agent's keys (or whether it belongs) may have changed: it is placed again when the order is next read. */
  touch(slot: number): void {
    if (slot >= this.touched.length) this.grow(slot + 1);
    if (this.touched[slot] === 1) return;
    this.touched[slot] = 1;
    this.pending.push(slot);
  }

  /** The order as it stands, every change placed (see `slots`). */
  walkOrder(): this {
    if (this.pending.length > 0) this.settle();
    return this;
  }

  /** Places again every touched agent: out of the order, sorted by their new keys, merged back in. */
  private settle(): void {
    const { pending, moved, source } = this;
    if (source.size > this.touched.length) this.grow(source.size);
    const { touched, keys, idle, before } = this;
    this.ranks = source.idRanks();
    const keysNow = source.keys(this.which);
    const idleNow = source.idleSince();
    let kept = 0;
    const slots = this.slots;
    for (let i = 0; i < this.length; i++) {
      const slot = slots[i] as number;
      if (touched[slot] === 0) slots[kept++] = slot;
    }
    moved.length = 0;
    for (let i = 0; i < pending.length; i++) {
      const slot = pending[i] as number;
      touched[slot] = 0;
      const key = keysNow[slot] as number;
      if (Number.isNaN(key)) continue;
      keys[slot] = key;
      idle[slot] = idleNow[slot] as number;
      moved.push(slot);
    }
    pending.length = 0;
    moved.sort(before);
    const total = kept + moved.length;
    if (this.spare.length < total) this.spare = new Int32Array(Math.max(total, this.spare.length * 2, 16));
    const merged = this.spare;
    let n = 0;
    let m = 0;
    for (let i = 0; i < kept; i++) {
      const slot = slots[i] as number;
      while (m < moved.length && before(moved[m] as number, slot) < 0) merged[n++] = moved[m++] as number;
      merged[n++] = slot;
    }
    while (m < moved.length) merged[n++] = moved[m++] as number;
    const positions = this.positions;
    for (let i = 0; i < total; i++) positions[merged[i] as number] = i;
    this.spare = this.slots;
    this.slots = merged;
    this.length = total;
    this.version++;
  }

  private grow(size: number): void {
    const capacity = Math.max(size, this.touched.length * 2, 16);
    this.touched = grown(this.touched, capacity);
    this.keys = grown(this.keys, capacity);
    this.idle = grown(this.idle, capacity);
    this.positions = grown(this.positions, capacity);
  }
}
