import type { MediaType } from '../contract/index.ts';
import { MediaTypes } from '../contract/index.ts';
import type { AgentView } from './agent-view.ts';
import { AgentBits } from './agent-bits.ts';
import { OrderedAgents } from './ordered-agents.ts';
import { tenantMedia } from './pair-key.ts';
import { compileRequirements, type CompiledRequirements } from './compiled-requirements.ts';
import type { Requirements } from './requirements.ts';

/** One agent as the index holds it: its latest view and the slots our unanswered offers hold. */
export interface AgentRecord {
  readonly key: string;
  /** Its position in its tenant's bit sets. */
  readonly slot: number;
  view: AgentView;
  readonly reserved: Partial<Record<MediaType, number>>;
  /** Free slots per media type (see `AgentIndex.room`), kept up to date with the view and `reserved`: choices read it for every agent they compare. */
  readonly rooms: Record<MediaType, number>;
  /** Mean proficiency over all its skills (best-skills when a conversation requires none). */
  meanSkill: number;
  /** Its proficiency per skill id (`AgentIndex.skillId`), NaN where it lacks the skill. */
  levels: Float64Array;
  /** Its view at the end of the previous pass, while it has changed since (see `AgentIndex.takeImprovements`). */
  before: AgentView | undefined;
  /** Its free slots at the end of the previous pass (read while `before` is set). */
  readonly roomsBefore: Record<MediaType, number>;
}

/**
 * The orders agents are chosen in, one per routing method (for best-skills: by mean
 * proficiency; `skillList` gives one per skill, by proficiency in it). Every order ends
 * with the tie-break every method shares (idle longer, then id), so the first eligible
 * agent in an order is exactly the agent the method prefers.
 */
export type AgentOrder = 'longest-idle' | 'rotation' | 'most-available' | 'best-skills';

/**
 * The orders of one tenant and media type. Each holds every agent with a free slot for
 * the media type, and maybe some that have none any more — they are removed when a walk
 * meets them (`prune`), so taking a slot costs nothing here and freeing one inserts only
 * an agent not listed.
 */
interface OrderedLists {
  byMethod: Map<AgentOrder, OrderedAgents>;
  bySkill: Map<string, OrderedAgents>;
}

/** What changed for an agent since the previous pass, and may let it take conversations it could not. */
export interface Improvement {
  record: AgentRecord;
  /** The media types it may now take more of (more room, became available, or a new profile). */
  media: MediaType[];
}

export const agentKey = (tenant: string, id: string) => `${tenant}/${id}`;

/**
 * The agents a scheduler knows, indexed so that neither choosing an agent nor finding who
 * gained room scans them all: the agents with a free slot per (tenant, media type) and
 * per (tenant, media type, skill), as sets and bits; and in each method's order (built
 * the first time a method asks, then kept up to date). A free slot is offerable capacity
 * minus the slots our unanswered offers hold.
 */
export class AgentIndex {
  private readonly records = new Map<string, AgentRecord>();
  /** The same records by tenant, then id: found without building a key string per lookup (every agent change looks one up). */
  private readonly byId = new Map<string, Map<string, AgentRecord>>();
  private readonly free = new Map<string, FreeSet>();
  /** `tenant|media` → skill → free agents with it. */
  private readonly freeBySkill = new Map<string, Map<string, FreeSet>>();
  private readonly bySlot = new Map<string, AgentRecord[]>();
  /** Ordered agents per `tenant|media`, by method and by skill (those with the skill). */
  private readonly ordered = new Map<string, OrderedLists>();
  /** The agents changed since the previous pass, in the order of their first change (each holds its state before it). */
  private changed: AgentRecord[] = [];
  private readonly skillIds = new Map<string, number>();
  private readonly compiledOf = new WeakMap<Requirements, CompiledRequirements>();

  /** A small integer for a skill, the same for the index's life. */
  skillId(skill: string): number {
    let id = this.skillIds.get(skill);
    if (id === undefined) this.skillIds.set(skill, (id = this.skillIds.size));
    return id;
  }

  /** The requirements compiled against this index's skill ids (once per requirements object). */
  compiled(requirements: Requirements): CompiledRequirements {
    let compiled = this.compiledOf.get(requirements);
    if (!compiled) this.compiledOf.set(requirements, (compiled = compileRequirements(requirements, (skill) => this.skillId(skill))));
    return compiled;
  }

  private levelsOf(skills: ReadonlyMap<string, number>): Float64Array {
    for (const skill of skills.keys()) this.skillId(skill);
    const levels = new Float64Array(this.skillIds.size).fill(NaN);
    for (const [skill, level] of skills) levels[this.skillId(skill)] = level;
    return levels;
  }

  get(tenant: string, id: string): AgentView | undefined {
    return this.byId.get(tenant)?.get(id)?.view;
  }

  record(tenant: string, id: string): AgentRecord | undefined {
    return this.byId.get(tenant)?.get(id);
  }

  all(): Iterable<AgentRecord> {
    return this.records.values();
  }

  set(view: AgentView): void {
    let ofTenant = this.byId.get(view.tenant);
    if (!ofTenant) this.byId.set(view.tenant, (ofTenant = new Map<string, AgentRecord>()));
    const record = ofTenant.get(view.id);
    if (!record) {
      const key = agentKey(view.tenant, view.id);
      const tenantRecords = this.bySlot.get(view.tenant) ?? [];
      this.bySlot.set(view.tenant, tenantRecords);
      const created: AgentRecord = { key, slot: tenantRecords.length, view, reserved: {}, rooms: noRooms(), meanSkill: meanSkill(view), levels: this.levelsOf(view.skills), before: { ...view, available: false }, roomsBefore: noRooms() };
      tenantRecords.push(created);
      this.records.set(key, created);
      ofTenant.set(view.id, created);
      this.changed.push(created);
      this.move(created, undefined, view);
      return;
    }
    this.remember(record);
    if (record.view.skills !== view.skills) record.levels = this.levelsOf(view.skills);
    this.move(record, record.view, view);
  }

  /** Free slots for this media type: offerable capacity minus our unanswered offers. */
  room(record: AgentRecord, media: MediaType): number {
    return record.rooms[media];
  }

  /** An offer we sent holds a slot until the agent answers it. */
  hold(record: AgentRecord, media: MediaType): void {
    const had = this.room(record, media) > 0;
    record.reserved[media] = (record.reserved[media] ?? 0) + 1;
    record.rooms[media] = roomOf(record.view, record.reserved, media);
    if (had && this.room(record, media) <= 0) this.leave(record, media);
  }

  /** The agent answered (its own figures count the offer now), or the offer ended unanswered. */
  release(record: AgentRecord, media: MediaType): void {
    this.remember(record);
    const had = this.room(record, media) > 0;
    record.reserved[media] = Math.max(0, (record.reserved[media] ?? 0) - 1);
    record.rooms[media] = roomOf(record.view, record.reserved, media);
    if (!had && this.room(record, media) > 0) this.enter(record, media);
  }

  /** The agent has no free slot left for this media type (its keys unchanged). */
  private leave(record: AgentRecord, media: MediaType): void {
    const { tenant, skills } = record.view;
    remove(this.free, tenantMedia.of(tenant, media), record);
    const bySkill = this.skillSets(tenant, media);
    for (const skill of skills.keys()) remove(bySkill, skill, record);
    // The ordered lists keep it until a walk meets it.
  }

  /** The agent has a free slot again for this media type (its keys unchanged). */
  private enter(record: AgentRecord, media: MediaType): void {
    const { tenant, skills } = record.view;
    add(this.free, tenantMedia.of(tenant, media), record);
    const bySkill = this.skillSets(tenant, media);
    for (const skill of skills.keys()) add(bySkill, skill, record);
    const lists = this.ordered.get(tenantMedia.of(tenant, media));
    if (!lists) return;
    for (const ordered of lists.byMethod.values()) enlist(ordered, record);
    for (const skill of skills.keys()) {
      const ordered = lists.bySkill.get(skill);
      if (ordered) enlist(ordered, record);
    }
  }

  /** Takes out of an ordered list the agents a walk met without a free slot (they come back when they have one). */
  prune(ordered: OrderedAgents, media: MediaType, met: readonly AgentRecord[]): void {
    for (const record of met) {
      if (this.room(record, media) <= 0) ordered.remove(record);
    }
  }

  /** How many slots the tenant's bit sets span. */
  slotCount(tenant: string): number {
    return this.bySlot.get(tenant)?.length ?? 0;
  }

  /** The tenant's records by slot (a walk reads an agent by the slot its order lists). */
  slotRecords(tenant: string): readonly AgentRecord[] {
    return this.bySlot.get(tenant) ?? [];
  }

  recordAt(tenant: string, slot: number): AgentRecord {
    return (this.bySlot.get(tenant) as AgentRecord[])[slot] as AgentRecord;
  }

  /** The tenant's agents whose slots are set in these bits. */
  recordsIn(tenant: string, bits: Uint32Array, into: AgentRecord[] = []): AgentRecord[] {
    const all = this.bySlot.get(tenant) ?? [];
    into.length = 0;
    for (let w = 0; w < bits.length; w++) {
      let word = bits[w] as number;
      while (word !== 0) {
        const lowest = word & -word;
        into.push(all[(w << 5) + 31 - Math.clz32(lowest)] as AgentRecord);
        word ^= lowest;
      }
    }
    return into;
  }

  freeFor(tenant: string, media: MediaType): FreeSet {
    return this.free.get(tenantMedia.of(tenant, media)) ?? empty;
  }

  freeWithSkill(tenant: string, media: MediaType, skill: string): FreeSet {
    return this.freeBySkill.get(tenantMedia.of(tenant, media))?.get(skill) ?? empty;
  }

  private skillSets(tenant: string, media: MediaType): Map<string, FreeSet> {
    let sets = this.freeBySkill.get(tenantMedia.of(tenant, media));
    if (!sets) this.freeBySkill.set(tenantMedia.of(tenant, media), (sets = new Map<string, FreeSet>()));
    return sets;
  }

  /** The agents with a free slot for a media type in a method's order (and some without: see `OrderedAgents`). */
  list(tenant: string, media: MediaType, order: AgentOrder): OrderedAgents {
    const lists = this.lists(tenant, media);
    let ordered = lists.byMethod.get(order);
    if (!ordered) {
      ordered = new OrderedAgents(keyOf(order), (r) => r.rooms[media] > 0);
      ordered.load(this.recordsIn(tenant, this.freeFor(tenant, media).bits.words));
      lists.byMethod.set(order, ordered);
    }
    return ordered;
  }

  /** The agents with a free slot for a media type and a skill, by proficiency in it (and some without a slot). */
  skillList(tenant: string, media: MediaType, skill: string): OrderedAgents {
    const lists = this.lists(tenant, media);
    let ordered = lists.bySkill.get(skill);
    if (!ordered) {
      ordered = new OrderedAgents(
        (r) => r.view.skills.get(skill) ?? 0,
        (r) => r.rooms[media] > 0 && r.view.skills.has(skill),
      );
      ordered.load(this.recordsIn(tenant, this.freeWithSkill(tenant, media, skill).bits.words));
      lists.bySkill.set(skill, ordered);
    }
    return ordered;
  }

  private lists(tenant: string, media: MediaType): OrderedLists {
    let lists = this.ordered.get(tenantMedia.of(tenant, media));
    if (!lists) this.ordered.set(tenantMedia.of(tenant, media), (lists = { byMethod: new Map(), bySkill: new Map() }));
    return lists;
  }

  /**
   * The agents that may take conversations they could not at the end of the previous
   * pass, and with which media types; the next changes are measured from now on. Less
   * room never creates a match, and a change undone before the pass is no change.
   */
  takeImprovements(): Improvement[] {
    const improved: Improvement[] = [];
    const changed = this.changed;
    this.changed = [];
    for (const record of changed) {
      const before = record.before as AgentView;
      record.before = undefined;
      const after = record.view;
      if (!after.available) continue;
      const renewed = !before.available || !sameProfile(before, after);
      let media: MediaType[] | undefined;
      for (const m of MediaTypes) {
        const room = record.rooms[m];
        if (room > 0 && (renewed || room > record.roomsBefore[m])) (media ??= []).push(m);
      }
      if (media) improved.push({ record, media });
    }
    return improved;
  }

  private remember(record: AgentRecord): void {
    if (record.before) return;
    record.before = record.view;
    for (const m of MediaTypes) record.roomsBefore[m] = record.rooms[m];
    this.changed.push(record);
  }

  /** Moves an agent from its old state to the new one in every set and list whose membership or order changed (allocating nothing: it runs on every agent change). */
  private move(record: AgentRecord, old: AgentView | undefined, view: AgentView): void {
    const { tenant } = view;
    const reserved = record.reserved;
    const oldMean = record.meanSkill;
    const newMean = old === view ? oldMean : meanSkill(view);
    const sameSkills = old !== undefined && (old.skills === view.skills || sameKeys(old.skills, view.skills));
    const sameIdle = old !== undefined && old.lastActivityAt === view.lastActivityAt;
    // Out of the sets first, while the record still holds the old skills they were joined by.
    for (const media of MediaTypes) {
      const was = old !== undefined && roomOf(old, reserved, media) > 0;
      const is = roomOf(view, reserved, media) > 0;
      const lists = this.ordered.get(tenantMedia.of(tenant, media));
      // Placed again by the new keys when the order is next read (or taken out then, if it no longer belongs).
      if (old && lists) {
        for (const [order, ordered] of lists.byMethod) if (!sameIdle || !sameKey(order, old, view, oldMean, newMean)) ordered.replace(record);
        if (lists.bySkill.size > 0) {
          for (const [skill, level] of old.skills) {
            const ordered = lists.bySkill.get(skill);
            if (ordered && (!sameIdle || level !== view.skills.get(skill))) ordered.replace(record);
          }
        }
      }
      if (!was || !old) continue;
      if (!is || !sameSkills) {
        const bySkill = this.skillSets(tenant, media);
        for (const skill of old.skills.keys()) remove(bySkill, skill, record);
      }
      if (!is) remove(this.free, tenantMedia.of(tenant, media), record);
    }
    record.view = view;
    record.meanSkill = newMean;
    for (const media of MediaTypes) record.rooms[media] = roomOf(view, reserved, media);
    for (const media of MediaTypes) {
      if (!(record.rooms[media] > 0)) continue;
      const was = old !== undefined && roomOf(old, reserved, media) > 0;
      if (!was) add(this.free, tenantMedia.of(tenant, media), record);
      if (!was || !sameSkills) {
        const bySkill = this.skillSets(tenant, media);
        for (const skill of view.skills.keys()) add(bySkill, skill, record);
      }
      const lists = this.ordered.get(tenantMedia.of(tenant, media));
      if (!lists) continue;
      for (const ordered of lists.byMethod.values()) enlist(ordered, record);
      if (lists.bySkill.size === 0) continue;
      for (const skill of view.skills.keys()) {
        const ordered = lists.bySkill.get(skill);
        if (ordered) enlist(ordered, record);
      }
    }
  }
}

function enlist(ordered: OrderedAgents, record: AgentRecord): void {
  ordered.add(record);
}

/** Every media type at no room, in one shape for every record (the choices' reads stay monomorphic). */
function noRooms(): Record<MediaType, number> {
  return { message: 0, sms: 0, email: 0, webchat: 0 };
}

function roomOf(view: AgentView, reserved: Partial<Record<MediaType, number>>, media: MediaType): number {
  return view.available ? (view.offerable[media] ?? 0) - (reserved[media] ?? 0) : 0;
}

function sameKeys(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const k of a.keys()) if (!b.has(k)) return false;
  return true;
}

/** Agents with a free slot, as bits to intersect (`recordsIn` lists them). */
export interface FreeSet {
  readonly bits: AgentBits;
}

const empty: FreeSet = { bits: new AgentBits() };

/** The method's score: higher is preferred (the scores `methods.ts` records, less the clock). */
function keyOf(order: AgentOrder): (record: AgentRecord) => number {
  switch (order) {
    case 'longest-idle':
      return (r) => -r.view.lastActivityAt;
    case 'rotation':
      return (r) => -r.view.lastAssignedAt;
    case 'most-available':
      return (r) => 1 - r.view.utilization;
    case 'best-skills':
      return (r) => r.meanSkill;
  }
}

/** The tie-break every method shares: idle longer first, then by id. */
export function tieBreak(a: AgentView, b: AgentView): number {
  if (a.lastActivityAt !== b.lastActivityAt) return a.lastActivityAt - b.lastActivityAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Whether the method's score is the same for both views (the idle time is compared by the caller). */
function sameKey(order: AgentOrder, a: AgentView, b: AgentView, meanA: number, meanB: number): boolean {
  switch (order) {
    case 'longest-idle':
      return true;
    case 'rotation':
      return a.lastAssignedAt === b.lastAssignedAt;
    case 'most-available':
      return 1 - a.utilization === 1 - b.utilization;
    case 'best-skills':
      return meanA === meanB;
  }
}

function meanSkill(view: AgentView): number {
  if (view.skills.size === 0) return 0;
  let total = 0;
  for (const level of view.skills.values()) total += level;
  return total / view.skills.size;
}

/** Whether two views qualify for the same conversations (skills, languages, labels). */
export function sameProfile(a: AgentView, b: AgentView): boolean {
  if (a.skills !== b.skills) {
    if (a.skills.size !== b.skills.size) return false;
    for (const [skill, level] of a.skills) if (b.skills.get(skill) !== level) return false;
  }
  if (a.languages !== b.languages) {
    if (a.languages.size !== b.languages.size) return false;
    for (const language of a.languages) if (!b.languages.has(language)) return false;
  }
  if (a.labels === b.labels) return true;
  const labels = Object.keys(a.labels);
  return labels.length === Object.keys(b.labels).length && labels.every((k) => a.labels[k] === b.labels[k]);
}

function add(map: Map<string, FreeSet>, k: string, record: AgentRecord): void {
  let set = map.get(k);
  if (!set) map.set(k, (set = { bits: new AgentBits() }));
  set.bits.add(record.slot);
}

function remove(map: Map<string, FreeSet>, k: string, record: AgentRecord): void {
  const set = map.get(k);
  if (!set) return;
  set.bits.delete(record.slot);
}
