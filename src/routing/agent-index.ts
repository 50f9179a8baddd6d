import type { MediaType } from '../contract/index.ts';
import { MediaTypes } from '../contract/index.ts';
import type { AgentView } from './agent-view.ts';
import { TenantAgents } from './tenant-agents.ts';
import { compileRequirements, type CompiledRequirements } from './compiled-requirements.ts';
import type { Requirements } from './requirements.ts';

export type { AgentOrderName as AgentOrder, FreeAgents } from './tenant-agents.ts';

/** An offer the scheduler sent to an agent, until the conversation commits its outcome. */
export interface InFlight {
  readonly offerId: string;
  readonly agent: AgentRecord;
  readonly mediaType: MediaType;
  /** The agent has committed its answer: from then on its own capacity figures count it. */
  answeredByAgent: boolean;
}

/** One agent as the index holds it: its latest view and the slots our unanswered offers hold. */
export interface AgentRecord {
  readonly key: string;
  /** Its position in its tenant's bit sets and orders. */
  readonly slot: number;
  readonly tenant: TenantAgents;
  view: AgentView;
  readonly reserved: Record<MediaType, number>;
  /** Free slots per media type (see `AgentIndex.room`), kept up to date with the view and `reserved`: choices read it for every agent they compare. */
  readonly rooms: Record<MediaType, number>;
  /** Mean proficiency over all its skills (best-skills when a conversation requires none). */
  meanSkill: number;
  /** Its proficiency per skill id (`AgentIndex.skillId`), NaN where it lacks the skill. */
  levels: Float64Array;
  /** The ids of its skills: the per-skill sets it is in while it has a free slot. */
  skillIds: Int32Array;
  /** Our offers to it not landed yet (its answer names one of them). */
  readonly flights: InFlight[];
  /** Its view at the end of the previous pass, while it has changed since (see `AgentIndex.takeImprovements`). */
  before: AgentView | undefined;
  /** Its free slots at the end of the previous pass (read while `before` is set). */
  readonly roomsBefore: Record<MediaType, number>;
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
 * gained room scans them all: per tenant, the agents with a free slot per media type and
 * per media type and skill, as bits; and every agent in each method's order (built the
 * first time a method asks, then kept up to date). A free slot is offerable capacity
 * minus the slots our unanswered offers hold.
 */
export class AgentIndex {
  private readonly records = new Map<string, AgentRecord>();
  private readonly tenants = new Map<string, TenantAgents>();
  /** The agents changed since the previous pass, in the order of their first change (each holds its state before it). */
  private changed: AgentRecord[] = [];
  private readonly skillIds = new Map<string, number>();
  /** A small integer for a skill, the same for the index's life. */
  skillId(skill: string): number {
    let id = this.skillIds.get(skill);
    if (id === undefined) this.skillIds.set(skill, (id = this.skillIds.size));
    return id;
  }

  /**
   * The requirements compiled against this index's skill ids. Not cached: a kind keeps its
   * compiled requirements for its life, and the requirements of a conversation waiting for
   * particular agents are made afresh at every pass.
   */
  compiled(requirements: Requirements): CompiledRequirements {
    return compileRequirements(requirements, (skill) => this.skillId(skill));
  }

  get(tenant: string, id: string): AgentView | undefined {
    return this.tenants.get(tenant)?.byId.get(id)?.view;
  }

  record(tenant: string, id: string): AgentRecord | undefined {
    return this.tenants.get(tenant)?.byId.get(id);
  }

  /** The tenant's agents, if it has any. */
  tenant(name: string): TenantAgents | undefined {
    return this.tenants.get(name);
  }

  all(): Iterable<AgentRecord> {
    return this.records.values();
  }

  /** The agent's new view; returns its record. `known`: its record, when the caller has looked it up already. */
  set(view: AgentView, known = this.record(view.tenant, view.id)): AgentRecord {
    const record = known;
    if (!record) {
      let tenant = this.tenants.get(view.tenant);
      if (!tenant) this.tenants.set(view.tenant, (tenant = new TenantAgents(view.tenant)));
      return this.create(tenant, view);
    }
    const tenant = record.tenant;
    this.remember(record);
    const old = record.view;
    const oldMean = record.meanSkill;
    record.view = view;
    let oldSkills: Int32Array | undefined;
    if (old.skills !== view.skills && !sameLevels(old.skills, view.skills)) {
      // Out of the per-skill sets by the skills it joined them with; back in below by the new ones.
      for (const media of MediaTypes) if (record.rooms[media] > 0) tenant.leave(record, media);
      oldSkills = record.skillIds;
      this.learnSkills(record, view);
      tenant.placeLevels(record, oldSkills);
    }
    for (const media of MediaTypes) {
      const was = record.rooms[media] > 0;
      const room = roomOf(view, record.reserved, media);
      record.rooms[media] = room;
      if (room > 0 ? !was || oldSkills : was && !oldSkills) {
        if (room > 0) tenant.enter(record, media);
        else tenant.leave(record, media);
      }
    }
    tenant.placeKeys(record);
    tenant.changed(record, old, oldMean, oldSkills);
    return record;
  }

  private create(tenant: TenantAgents, view: AgentView): AgentRecord {
    const key = agentKey(view.tenant, view.id);
    const record: AgentRecord = {
      key,
      slot: tenant.records.length,
      tenant,
      view,
      reserved: noRooms(),
      rooms: noRooms(),
      meanSkill: 0,
      levels: new Float64Array(0),
      skillIds: new Int32Array(0),
      flights: [],
      before: { ...view, available: false },
      roomsBefore: noRooms(),
    };
    this.learnSkills(record, view);
    tenant.records.push(record);
    tenant.placeLevels(record, undefined);
    tenant.placeKeys(record);
    tenant.byId.set(view.id, record);
    this.records.set(key, record);
    this.changed.push(record);
    for (const media of MediaTypes) {
      record.rooms[media] = roomOf(view, record.reserved, media);
      if (record.rooms[media] > 0) tenant.enter(record, media);
    }
    tenant.added(record);
    return record;
  }

  private learnSkills(record: AgentRecord, view: AgentView): void {
    const skills = view.skills;
    const ids = new Int32Array(skills.size);
    let i = 0;
    for (const skill of skills.keys()) ids[i++] = this.skillId(skill);
    const levels = new Float64Array(this.skillIds.size).fill(NaN);
    let total = 0;
    i = 0;
    for (const level of skills.values()) {
      levels[ids[i++] as number] = level;
      total += level;
    }
    record.skillIds = ids;
    record.levels = levels;
    record.meanSkill = skills.size === 0 ? 0 : total / skills.size;
  }

  /** Free slots for this media type: offerable capacity minus our unanswered offers. */
  room(record: AgentRecord, media: MediaType): number {
    return record.rooms[media];
  }

  /** An offer we sent holds a slot until the agent answers it. */
  hold(record: AgentRecord, media: MediaType): void {
    const had = record.rooms[media] > 0;
    record.reserved[media]++;
    record.rooms[media] = roomOf(record.view, record.reserved, media);
    if (had && record.rooms[media] <= 0) record.tenant.leave(record, media);
  }

  /** The agent answered (its own figures count the offer now), or the offer ended unanswered. */
  release(record: AgentRecord, media: MediaType): void {
    this.remember(record);
    const had = record.rooms[media] > 0;
    record.reserved[media] = Math.max(0, record.reserved[media] - 1);
    record.rooms[media] = roomOf(record.view, record.reserved, media);
    if (!had && record.rooms[media] > 0) record.tenant.enter(record, media);
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
    for (let i = 0; i < changed.length; i++) {
      const record = changed[i] as AgentRecord;
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
}

/** Every media type at no room, in one shape for every record (the choices' reads stay monomorphic). */
function noRooms(): Record<MediaType, number> {
  return { message: 0, sms: 0, email: 0, webchat: 0 };
}

function roomOf(view: AgentView, reserved: Record<MediaType, number>, media: MediaType): number {
  return view.available ? (view.offerable[media] ?? 0) - reserved[media] : 0;
}

function sameLevels(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [skill, level] of a) if (b.get(skill) !== level) return false;
  return true;
}

/** The tie-break every method shares: idle longer first, then by id. */
export function tieBreak(a: AgentView, b: AgentView): number {
  if (a.lastActivityAt !== b.lastActivityAt) return a.lastActivityAt - b.lastActivityAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
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
