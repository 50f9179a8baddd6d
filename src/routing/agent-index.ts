import type { MediaType } from '../contract/index.ts';
import { MediaTypes } from '../contract/index.ts';
import type { AgentView } from './agent-view.ts';
import { SortedList } from './sorted-list.ts';

/** One agent as the index holds it: its latest view and the slots our unanswered offers hold. */
export interface AgentRecord {
  readonly key: string;
  view: AgentView;
  reserved: Partial<Record<MediaType, number>>;
  /** Mean proficiency over all its skills (best-skills when a conversation requires none). */
  meanSkill: number;
}

/**
 * The orders agents are chosen in, one per routing method (best-skills has one per skill,
 * by proficiency in it, and one by mean proficiency). Every order ends with the tie-break
 * every method shares (idle longer, then id), so the first eligible agent in an order is
 * exactly the agent the method prefers.
 */
export type AgentOrder = 'longest-idle' | 'rotation' | 'most-available' | 'best-skills' | `skill:${string}`;

/** What changed for an agent since the previous pass, and may let it take conversations it could not. */
export interface Improvement {
  record: AgentRecord;
  /** The media types it may now take more of (more room, became available, or a new profile). */
  media: MediaType[];
}

export const agentKey = (tenant: string, id: string) => `${tenant}/${id}`;

/**
 * The agents a scheduler knows, indexed so that neither choosing an agent nor finding who
 * gained room scans them all: the agents with a free slot per (tenant, media type), per
 * (tenant, media type, skill), and in each method's order (built the first time a method
 * asks, then kept up to date). A free slot is offerable capacity minus the slots our
 * unanswered offers hold.
 */
export class AgentIndex {
  private readonly records = new Map<string, AgentRecord>();
  private readonly free = new Map<string, Set<AgentRecord>>();
  private readonly freeBySkill = new Map<string, Set<AgentRecord>>();
  /** Ordered lists of free agents per `tenant|media`, by order. */
  private readonly ordered = new Map<string, Map<AgentOrder, SortedList<AgentRecord>>>();
  /** Each changed agent's state at the end of the previous pass (its first change since). */
  private readonly before = new Map<AgentRecord, { view: AgentView; room: Partial<Record<MediaType, number>> }>();

  get(tenant: string, id: string): AgentView | undefined {
    return this.records.get(agentKey(tenant, id))?.view;
  }

  record(tenant: string, id: string): AgentRecord | undefined {
    return this.records.get(agentKey(tenant, id));
  }

  all(): Iterable<AgentRecord> {
    return this.records.values();
  }

  set(view: AgentView): void {
    const key = agentKey(view.tenant, view.id);
    const record = this.records.get(key);
    if (!record) {
      const created: AgentRecord = { key, view, reserved: {}, meanSkill: meanSkill(view) };
      this.records.set(key, created);
      this.before.set(created, { view: { ...view, available: false }, room: {} });
      this.move(created, undefined, view, created.reserved);
      return;
    }
    this.remember(record);
    this.move(record, record.view, view, record.reserved);
  }

  /** Free slots for this media type: offerable capacity minus our unanswered offers. */
  room(record: AgentRecord, media: MediaType): number {
    return record.view.available ? (record.view.offerable[media] ?? 0) - (record.reserved[media] ?? 0) : 0;
  }

  /** An offer we sent holds a slot until the agent answers it. */
  hold(record: AgentRecord, media: MediaType): void {
    this.move(record, record.view, record.view, { ...record.reserved, [media]: (record.reserved[media] ?? 0) + 1 });
  }

  /** The agent answered (its own figures count the offer now), or the offer ended unanswered. */
  release(record: AgentRecord, media: MediaType): void {
    this.remember(record);
    this.move(record, record.view, record.view, { ...record.reserved, [media]: Math.max(0, (record.reserved[media] ?? 0) - 1) });
  }

  freeFor(tenant: string, media: MediaType): ReadonlySet<AgentRecord> {
    return this.free.get(`${tenant}|${media}`) ?? empty;
  }

  freeWithSkill(tenant: string, media: MediaType, skill: string): ReadonlySet<AgentRecord> {
    return this.freeBySkill.get(`${tenant}|${media}|${skill}`) ?? empty;
  }

  /** The free agents of a tenant for a media type, in an order (built on first use). */
  list(tenant: string, media: MediaType, order: AgentOrder): SortedList<AgentRecord> {
    const lists = this.ordered.get(`${tenant}|${media}`) ?? new Map<AgentOrder, SortedList<AgentRecord>>();
    this.ordered.set(`${tenant}|${media}`, lists);
    let list = lists.get(order);
    if (!list) {
      list = new SortedList(comparator(order));
      const skill = skillOf(order);
      for (const record of skill === undefined ? this.freeFor(tenant, media) : this.freeWithSkill(tenant, media, skill)) list.insert(record);
      lists.set(order, list);
    }
    return list;
  }

  /**
   * The agents that may take conversations they could not at the end of the previous
   * pass, and with which media types; the next changes are measured from now on. Less
   * room never creates a match, and a change undone before the pass is no change.
   */
  takeImprovements(): Improvement[] {
    const improved: Improvement[] = [];
    for (const [record, before] of this.before) {
      const after = record.view;
      if (!after.available) continue;
      const renewed = !before.view.available || !sameProfile(before.view, after);
      const media = MediaTypes.filter((m) => {
        const room = this.room(record, m);
        return room > 0 && (renewed || room > (before.room[m] ?? 0));
      });
      if (media.length > 0) improved.push({ record, media });
    }
    this.before.clear();
    return improved;
  }

  private remember(record: AgentRecord): void {
    if (this.before.has(record)) return;
    const room: Partial<Record<MediaType, number>> = {};
    for (const m of MediaTypes) room[m] = this.room(record, m);
    this.before.set(record, { view: record.view, room });
  }

  /** Moves an agent from its old state to the new one in every set and list whose membership or order changed. */
  private move(record: AgentRecord, old: AgentView | undefined, view: AgentView, reserved: Partial<Record<MediaType, number>>): void {
    const tenant = view.tenant;
    const oldMean = record.meanSkill;
    const newMean = old === view ? oldMean : meanSkill(view);
    const sameSkills = old !== undefined && (old.skills === view.skills || sameKeys(old.skills, view.skills));
    const kept = (order: AgentOrder, was: boolean, is: boolean) =>
      was && is && old !== undefined && inList(order, old) && inList(order, view) && sameKey(order, old, view, oldMean, newMean);
    const plan: { media: MediaType; was: boolean; is: boolean }[] = [];
    // Out first, while the record still holds the old keys the lists are ordered by.
    for (const media of MediaTypes) {
      const was = old !== undefined && roomOf(old, record.reserved, media) > 0;
      const is = roomOf(view, reserved, media) > 0;
      if (!was && !is) continue;
      plan.push({ media, was, is });
      if (!was || !old) continue;
      for (const [order, list] of this.ordered.get(`${tenant}|${media}`) ?? []) {
        if (inList(order, old) && !kept(order, was, is)) list.delete(record);
      }
      if (!is || !sameSkills) for (const skill of old.skills.keys()) remove(this.freeBySkill, `${tenant}|${media}|${skill}`, record);
      if (!is) remove(this.free, `${tenant}|${media}`, record);
    }
    record.view = view;
    record.reserved = reserved;
    record.meanSkill = newMean;
    for (const { media, was, is } of plan) {
      if (!is) continue;
      if (!was) add(this.free, `${tenant}|${media}`, record);
      if (!was || !sameSkills) for (const skill of view.skills.keys()) add(this.freeBySkill, `${tenant}|${media}|${skill}`, record);
      for (const [order, list] of this.ordered.get(`${tenant}|${media}`) ?? []) {
        if (inList(order, view) && !kept(order, was, is)) list.insert(record);
      }
    }
  }
}

function roomOf(view: AgentView, reserved: Partial<Record<MediaType, number>>, media: MediaType): number {
  return view.available ? (view.offerable[media] ?? 0) - (reserved[media] ?? 0) : 0;
}

function sameKeys(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const k of a.keys()) if (!b.has(k)) return false;
  return true;
}

const empty: ReadonlySet<AgentRecord> = new Set();

function skillOf(order: AgentOrder): string | undefined {
  return order.startsWith('skill:') ? order.slice(6) : undefined;
}

function inList(order: AgentOrder, view: AgentView): boolean {
  const skill = skillOf(order);
  return skill === undefined || view.skills.has(skill);
}

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
    default: {
      const skill = order.slice(6);
      return (r) => r.view.skills.get(skill) ?? 0;
    }
  }
}

function comparator(order: AgentOrder): (a: AgentRecord, b: AgentRecord) => number {
  const key = keyOf(order);
  return (a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka !== kb) return ka > kb ? -1 : 1;
    return tieBreak(a.view, b.view);
  };
}

/** The tie-break every method shares: idle longer first, then by id. */
export function tieBreak(a: AgentView, b: AgentView): number {
  if (a.lastActivityAt !== b.lastActivityAt) return a.lastActivityAt - b.lastActivityAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function sameKey(order: AgentOrder, a: AgentView, b: AgentView, meanA: number, meanB: number): boolean {
  if (a.lastActivityAt !== b.lastActivityAt) return false;
  switch (order) {
    case 'longest-idle':
      return true;
    case 'rotation':
      return a.lastAssignedAt === b.lastAssignedAt;
    case 'most-available':
      return 1 - a.utilization === 1 - b.utilization;
    case 'best-skills':
      return meanA === meanB;
    default: {
      const skill = order.slice(6);
      return a.skills.get(skill) === b.skills.get(skill);
    }
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

function add(map: Map<string, Set<AgentRecord>>, k: string, record: AgentRecord): void {
  let set = map.get(k);
  if (!set) map.set(k, (set = new Set()));
  set.add(record);
}

function remove(map: Map<string, Set<AgentRecord>>, k: string, record: AgentRecord): void {
  const set = map.get(k);
  if (!set) return;
  set.delete(record);
  if (set.size === 0) map.delete(k);
}
