import type { MediaType } from '../contract/index.ts';
import { MediaTypes } from '../contract/index.ts';
import type { AgentRecord } from './agent-index.ts';
import { AgentBits } from './agent-bits.ts';
import { AgentOrder, type OrderSource } from './agent-order.ts';
import type { AgentView } from './agent-view.ts';
import { grown } from './grown.ts';

/**
 * The orders agents are chosen in, one per routing method (for best-skills: by mean
 * proficiency; `TenantAgents.skillOrder` gives one per skill, by proficiency in it). Every
 * order ends with the tie-break every method shares (idle longer, then id), so the first
 * eligible agent in an order is exactly the agent the method prefers.
 */
export type AgentOrderName = 'longest-idle' | 'rotation' | 'most-available' | 'best-skills';

/** The agents with a free slot for one media type, and those of them with each skill (by skill id). */
export interface FreeAgents {
  readonly all: AgentBits;
  readonly bySkill: (AgentBits | undefined)[];
  /** How many times an agent left these sets: what was intersected from them holds while it is the same. */
  leaves: number;
}

/**
 * One tenant's agents: by slot (their position in every bit set and order), by id, the
 * bit sets of those with a free slot per media type and skill, and the orders (built the
 * first time a choice asks for one, then kept up to date).
 */
export class TenantAgents implements OrderSource {
  readonly records: AgentRecord[] = [];
  readonly byId = new Map<string, AgentRecord>();
  readonly free: Readonly<Record<MediaType, FreeAgents>>;
  /**
   * Proficiency by skill id, then by slot (NaN where the agent lacks the skill): what a
   * best-skills comparison reads of every agent it compares, contiguous rather than one
   * record each (and what a floor set is built from).
   */
  readonly levels: Float64Array[] = [];
  /** The keys of the method orders (see `methods`) by slot, and the agents' last activity: what placing an agent in an order reads. */
  private readonly methodKeys: Float64Array[] = methods.map(() => new Float64Array(64));
  private lastActivity: Float64Array = new Float64Array(64);
  /** By skill id: the lowest proficiency any agent has had in it (never raised again): a floor at or below it excludes nobody. */
  private readonly lowest: number[] = [];
  /** By skill id, then floor: the agents (whatever their room) at or above that proficiency. */
  private readonly floorSets: (Map<number, AgentBits> | undefined)[] = [];
  private readonly orders = new Map<AgentOrderName, AgentOrder>();
  private readonly skillOrders: (AgentOrder | undefined)[] = [];
  private ranks = new Int32Array(0);
  /** How many slots `ranks` covers (agents joined since are ranked at the next read). */
  private ranked = 0;

  constructor(readonly name: string) {
    const free: Partial<Record<MediaType, FreeAgents>> = {};
    for (const media of MediaTypes) free[media] = { all: new AgentBits(), bySkill: [], leaves: 0 };
    this.free = free as Record<MediaType, FreeAgents>;
  }

  /** How many 32-bit words the tenant's bit sets span. */
  get words(): number {
    return (this.records.length + 31) >>> 5;
  }

  /** The free agents of this media type with the skill (an empty set, kept, if none has it yet). */
  withSkill(media: MediaType, skillId: number): AgentBits {
    const bySkill = this.free[media].bySkill;
    let bits = bySkill[skillId];
    if (!bits) bySkill[skillId] = bits = new AgentBits();
    return bits;
  }

  /** The agent has a free slot of this media type now: in the sets. */
  enter(record: AgentRecord, media: MediaType): void {
    const { all } = this.free[media];
    all.add(record.slot);
    const ids = record.skillIds;
    for (let i = 0; i < ids.length; i++) this.withSkill(media, ids[i] as number).add(record.slot);
  }

  /** The agent has no free slot of this media type left: out of the sets (by the skills it joined them with). */
  leave(record: AgentRecord, media: MediaType): void {
    const free = this.free[media];
    const { all, bySkill } = free;
    free.leaves++;
    all.delete(record.slot);
    const ids = record.skillIds;
    for (let i = 0; i < ids.length; i++) bySkill[ids[i] as number]?.delete(record.slot);
  }

  /**
   * The agents whose proficiency in the skill is at least `floor` (built the first time a
   * floor asks, then kept up to date), or undefined when every agent with the skill is:
   * intersected with the free agents, it leaves only eligible ones to compare.
   */
  floorSet(skillId: number, floor: number): AgentBits | undefined {
    if (!(floor > (this.lowest[skillId] ?? Infinity))) return undefined;
    let byFloor = this.floorSets[skillId];
    if (!byFloor) this.floorSets[skillId] = byFloor = new Map();
    let set = byFloor.get(floor);
    if (!set) {
      byFloor.set(floor, (set = new AgentBits()));
      const column = this.levels[skillId] as Float64Array;
      for (let slot = 0; slot < this.records.length; slot++) if ((column[slot] as number) >= floor) set.add(slot);
    }
    return set;
  }

  /** The agent's proficiencies in the columns and floor sets: `old` out (the skill ids it had), its current ones in. */
  placeLevels(record: AgentRecord, old: Int32Array | undefined): void {
    const slot = record.slot;
    if (old) {
      for (let i = 0; i < old.length; i++) {
        const id = old[i] as number;
        (this.levels[id] as Float64Array)[slot] = NaN;
        const byFloor = this.floorSets[id];
        if (byFloor) for (const set of byFloor.values()) set.delete(slot);
      }
    }
    const ids = record.skillIds;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      const level = record.levels[id] as number;
      this.levelColumn(id)[slot] = level;
      if (!(level >= (this.lowest[id] ?? Infinity))) this.lowest[id] = level;
      const byFloor = this.floorSets[id];
      if (byFloor) for (const [floor, set] of byFloor) if (level >= floor) set.add(slot);
    }
  }

  /** The proficiencies in a skill by slot, for every slot there is (NaN where the agent lacks it). */
  private levelColumn(skillId: number): Float64Array {
    const column = this.levels[skillId];
    if (column && column.length >= this.records.length) return column;
    const longer = grown(column ?? new Float64Array(0), Math.max(this.records.length, (column?.length ?? 0) * 2, 64), NaN);
    this.levels[skillId] = longer;
    return longer;
  }

  /** Every agent in a method's order. */
  order(name: AgentOrderName): AgentOrder {
    let order = this.orders.get(name);
    if (!order) {
      this.orders.set(name, (order = new AgentOrder(this, methods.indexOf(name))));
      for (const record of this.records) order.touch(record.slot);
    }
    return order.walkOrder();
  }

  /** Every agent with the skill, by proficiency in it. */
  skillOrder(skillId: number): AgentOrder {
    let order = this.skillOrders[skillId];
    if (!order) {
      this.skillOrders[skillId] = order = new AgentOrder(this, methods.length + skillId);
      for (const record of this.records) if (hasSkill(record, skillId)) order.touch(record.slot);
    }
    return order.walkOrder();
  }

  /** A new agent: placed in every order there is. */
  added(record: AgentRecord): void {
    for (const order of this.orders.values()) order.touch(record.slot);
    const ids = record.skillIds;
    for (let i = 0; i < ids.length; i++) this.skillOrders[ids[i] as number]?.touch(record.slot);
  }

  /**
   * The agent's view changed from `old`: the orders whose keys it changed place it again
   * (`oldSkills`: the skill ids it had, when its skills changed).
   */
  changed(record: AgentRecord, old: AgentView, oldMean: number, oldSkills: Int32Array | undefined): void {
    const view = record.view;
    const idle = old.lastActivityAt !== view.lastActivityAt;
    const slot = record.slot;
    if (this.orders.size > 0) {
      if (idle) this.orders.get('longest-idle')?.touch(slot);
      if (idle || old.lastAssignedAt !== view.lastAssignedAt) this.orders.get('rotation')?.touch(slot);
      if (idle || old.utilization !== view.utilization) this.orders.get('most-available')?.touch(slot);
      if (idle || oldMean !== record.meanSkill) this.orders.get('best-skills')?.touch(slot);
    }
    if (this.skillOrders.length === 0) return;
    if (oldSkills) {
      for (let i = 0; i < oldSkills.length; i++) this.skillOrders[oldSkills[i] as number]?.touch(slot);
    }
    if (idle || oldSkills) {
      const ids = record.skillIds;
      for (let i = 0; i < ids.length; i++) this.skillOrders[ids[i] as number]?.touch(slot);
    }
  }

  get size(): number {
    return this.records.length;
  }

  keys(which: number): Float64Array {
    // Past the method orders, a skill's: its proficiency column (NaN for agents without the skill).
    return which < methods.length ? (this.methodKeys[which] as Float64Array) : this.levelColumn(which - methods.length);
  }

  idleSince(): Float64Array {
    return this.lastActivity;
  }

  /** The agent's keys in the method orders, from its view (read when it is placed in them). */
  placeKeys(record: AgentRecord): void {
    const { slot, view } = record;
    if (slot >= this.lastActivity.length) {
      const capacity = Math.max(slot + 1, this.lastActivity.length * 2);
      this.lastActivity = grown(this.lastActivity, capacity, 0);
      this.methodKeys.forEach((column, i) => (this.methodKeys[i] = grown(column, capacity, 0)));
    }
    this.lastActivity[slot] = view.lastActivityAt;
    // Each method's score, higher preferred: the scores `methods.ts` records, less the clock.
    (this.methodKeys[0] as Float64Array)[slot] = -view.lastActivityAt;
    (this.methodKeys[1] as Float64Array)[slot] = -view.lastAssignedAt;
    (this.methodKeys[2] as Float64Array)[slot] = 1 - view.utilization;
    (this.methodKeys[3] as Float64Array)[slot] = record.meanSkill;
  }

  idRanks(): Int32Array {
    const records = this.records;
    if (this.ranked === records.length) return this.ranks;
    // Agents joined: rank every id again (the ranks of the others keep their order).
    const bySlot = records.map((r) => r.slot);
    bySlot.sort((a, b) => {
      const x = (records[a] as AgentRecord).view.id;
      const y = (records[b] as AgentRecord).view.id;
      return x < y ? -1 : x > y ? 1 : 0;
    });
    const ranks = new Int32Array(records.length);
    bySlot.forEach((slot, rank) => (ranks[slot] = rank));
    this.ranks = ranks;
    this.ranked = records.length;
    return ranks;
  }
}

/** The method orders, numbered as `TenantAgents.keys` numbers them (skill orders come after, by skill id). */
const methods: readonly AgentOrderName[] = ['longest-idle', 'rotation', 'most-available', 'best-skills'];

/** Whether the agent has the skill (its level reads NaN, or past the end of its levels, where it lacks it). */
function hasSkill(record: AgentRecord, skillId: number): boolean {
  const level = record.levels[skillId];
  return level !== undefined && !Number.isNaN(level);
}
