import type { RoutingMethod } from '../config/index.ts';
import type { MediaType } from '../contract/index.ts';
import type { AgentIndex, AgentRecord } from './agent-index.ts';
import { tieBreak } from './agent-index.ts';
import { has, type AgentBits } from './agent-bits.ts';
import type { AgentOrderName, TenantAgents } from './tenant-agents.ts';
import { qualifies } from './eligibility.ts';
import { beats, score } from './methods.ts';
import type { Requirements } from './requirements.ts';
import { eligible, eligibleAt, type CompiledRequirements } from './compiled-requirements.ts';
import type { WaitingConversation } from './waiting-conversation.ts';
import { takeSlotSet, type KindPass } from './kind-pass.ts';
import { SlotSet } from './slot-set.ts';
import { compareSkilled, firstWithRoom, rankSkilled, scoreOf, type Choice, type Preference } from './skilled-comparison.ts';

export type { Choice } from './skilled-comparison.ts';

type Method = RoutingMethod | Exclude<Requirements['target'], null>['reason'];

interface Candidate {
  record: AgentRecord;
  score: number;
  declined: boolean;
}

/** Up to this many agents free with every required skill are compared one by one; more are walked in the method's order (docs/resources.md §7 says so). */
export const COMPARED_ONE_BY_ONE = 48;
/**
 * Best-skills over several skills compares up to this many agents free with every required
 * skill one by one: with proficiencies of 1 to 5, many agents tie on each skill, and reading
 * the per-skill orders in step until the threshold is passed reads more agents than that.
 */
export const BEST_OF_SKILLS_COMPARED = 1024;
/**
 * A walk in a method's order gives up after stepping over this many free agents per agent
 * free with every required skill, and compares those instead: an agent compared costs
 * about as much as this many agents stepped over.
 */
export const WALK_STEPS_PER_AGENT = 32;
/** One set per width (a tenant's word count) for choices outside a kind's pass, reused from choice to choice. */
const scratchByWords = new Map<number, SlotSet>();

function scratchOf(words: number): SlotSet {
  let set = scratchByWords.get(words);
  if (!set) scratchByWords.set(words, (set = new SlotSet(words)));
  return set;
}

/** The sets a choice intersects (see `setsOf`). */
const setsScratch: AgentBits[] = [];

/** Nobody: the common answer when agents are busy, shared rather than built per choice. */
const NOBODY: Choice = Object.freeze({ record: undefined, candidates: 0, score: undefined });

/**
 * The eligible agent with a free slot the method prefers, as a scan of every agent would
 * find it (agents who let the conversation go come last), without that scan. The bit
 * sets of the agents free with each required skill (at its floor) are intersected first
 * — once per kind and pass given its `KindPass`, and only as far as it takes to tell
 * whether few qualify: none means nobody (the common answer when agents are busy), a few
 * are compared one by one, and many are walked in the method's order until the first
 * eligible one. Best-skills over several skills reads the per-skill orders side by side
 * and stops once no agent not yet read can score higher (Fagin's threshold algorithm).
 */
export function chooseAgent(
  index: AgentIndex,
  conversation: WaitingConversation,
  requirements: Requirements,
  method: Method,
  now: number,
  few = COMPARED_ONE_BY_ONE,
  start?: KindPass,
  compiled = index.compiled(requirements),
): Choice {
  const { tenant: tenantName, mediaType: media } = conversation;
  if (requirements.target) {
    const pool = requirements.target.agents.flatMap((id) => index.record(tenantName, id) ?? []);
    return comparePool(index, pool, conversation, compiled, method, now);
  }
  if (compiled.listed) {
    // Members listed by id only: they are the only possible candidates.
    const members = compiled.listed.flatMap((id) => index.record(tenantName, id) ?? []);
    if (members.length <= few) return comparePool(index, members, conversation, compiled, method, now);
  }
  const tenant = index.tenant(tenantName);
  if (!tenant) return NOBODY;

  const skills = requirements.skills;
  const ids = compiled.skillIds;
  const bestOfSeveral = method === 'best-skills' && ids.length > 1;
  // Up to this many free agents with the skills, their number decides how to choose; beyond, only that there are more.
  const decisive = bestOfSeveral ? Math.max(few, BEST_OF_SKILLS_COMPARED) : few;
  let skilled: SlotSet;
  let count: number;
  // Whether `count` is exact, or only a lower bound (see `freeWithSkillsAtLeast`).
  let exact = true;
  if (start) {
    count = freeWithSkillsAtLeast(tenant, media, compiled, start, decisive);
    skilled = start.bits as SlotSet;
    exact = skilled.complete && start.leavesSeen === tenant.free[media].leaves;
  } else {
    skilled = scratchOf(tenant.words);
    count = skilled.intersect(setsScratch, setsOf(tenant, media, compiled));
  }
  if (count === 0) return NOBODY;
  if (count <= few) return compareAll(tenant, conversation, compiled, method as RoutingMethod, now, skilled, start);
  if (bestOfSeveral) return count > BEST_OF_SKILLS_COMPARED ? bestOfSkills(tenant, conversation, compiled, skilled, now) : compareAll(tenant, conversation, compiled, method, now, skilled, start);

  const ordered = method === 'best-skills' && ids.length === 1 ? tenant.skillOrder(ids[0] as number) : tenant.order(method as AgentOrderName);
  const free = tenant.free[media].all.words;
  const records = tenant.records;
  const declinedBy = conversation.declinedBy;
  let fallback: AgentRecord | undefined;
  let candidates = 0;
  let chosen: AgentRecord | undefined;
  // Free agents without the skills gather at the front of an order (the others get taken): past this many steps, comparing is cheaper.
  let steps = WALK_STEPS_PER_AGENT * count;
  // The walk ends once it has met every free agent with the skills. It reads the order's
  // slots, contiguous, and a few bit sets: a few nanoseconds per agent stepped over.
  let met = 0;
  /** Counts the free agents with the skills exactly (`count` was a lower bound), and moves the step limit with it. */
  const countExactly = (): void => {
    const counted = freeWithSkillsExactly(tenant, media, start as KindPass);
    steps += WALK_STEPS_PER_AGENT * (counted - count);
    count = counted;
    exact = true;
  };
  const slots = ordered.slots;
  const length = ordered.length;
  const resumes = start !== undefined && start.from !== undefined && start.fromOrder === ordered && start.fromVersion === ordered.version;
  for (let i = resumes ? (start.from as number) : 0; i < length; i++) {
    const slot = slots[i] as number;
    // Without a free slot (busy, away): the order holds every agent, a walk steps over the free ones.
    if (((free[slot >>> 5] ?? 0) & (1 << (slot & 31))) === 0) continue;
    if (--steps < 0 && !exact) countExactly();
    if (steps < 0) return compareAll(tenant, conversation, compiled, method as RoutingMethod, now, skilled, start);
    // Skilled, at the floors: tested on the sets themselves (the intersection may not have reached this slot).
    if (!skilled.holds(slot)) continue;
    if (!eligibleAt(tenant, slot, compiled)) {
      if (++met === count && !exact) countExactly();
      if (met === count) break;
      continue;
    }
    const record = records[slot] as AgentRecord;
    if (start && candidates === 0) {
      start.from = i;
      start.fromOrder = ordered;
      start.fromVersion = ordered.version;
    }
    candidates++;
    if (declinedBy.length === 0 || !declinedBy.includes(record.view.id)) {
      chosen = record;
      break;
    }
    fallback ??= record;
    if (++met === count && !exact) countExactly();
    if (met === count) break;
  }
  chosen ??= fallback;
  return { record: chosen, candidates, score: chosen && score(method as RoutingMethod, chosen.view, skills, now) };
}

/**
 * The sets to intersect for these requirements (free, skilled, at the floors), written to
 * the front of `setsScratch`; returns how many. The array is reused from choice to choice
 * and never shortened (shortening it would give up its storage).
 */
function setsOf(tenant: TenantAgents, media: MediaType, compiled: CompiledRequirements): number {
  const sets = setsScratch;
  const { skillIds: ids, floors } = compiled;
  let n = 0;
  if (ids.length === 0) sets[n++] = tenant.free[media].all;
  for (let i = 0; i < ids.length; i++) sets[n++] = tenant.withSkill(media, ids[i] as number);
  for (let i = 0; i < ids.length; i++) {
    const atFloor = tenant.floorSet(ids[i] as number, floors[i] as number);
    if (atFloor) sets[n++] = atFloor;
  }
  return n;
}

/**
 * At least how many free agents have every required skill (`pass.bits`, intersected from
 * the kind's first choice in the pass on), exactly when that is at most `decisive`. The
 * intersection is read only as far as needed to tell: when thousands qualify, a few words.
 * Agents only lose room within a pass: those that lost their last slot since stay in the
 * words read, and the count is less at most by how many agents left (exact when none did);
 * they are dropped only when the count must be exact.
 */
function freeWithSkillsAtLeast(tenant: TenantAgents, media: MediaType, compiled: CompiledRequirements, pass: KindPass, decisive: number): number {
  const free = tenant.free[media];
  if (!pass.bits) {
    pass.bits = takeSlotSet(tenant.words);
    pass.bits.begin(setsScratch, setsOf(tenant, media, compiled));
    pass.leavesSeen = free.leaves;
  }
  const bits = pass.bits;
  const atLeast = bits.count - (free.leaves - pass.leavesSeen);
  if (atLeast > decisive) return atLeast;
  if (pass.leavesSeen !== free.leaves) bits.keepOnly(free.all);
  pass.leavesSeen = free.leaves;
  return bits.read(decisive);
}

/** How many free agents with every required skill there are now: the intersection read to its end, those that left since dropped. */
function freeWithSkillsExactly(tenant: TenantAgents, media: MediaType, pass: KindPass): number {
  const free = tenant.free[media];
  const bits = pass.bits as SlotSet;
  if (pass.leavesSeen !== free.leaves) bits.keepOnly(free.all);
  pass.leavesSeen = free.leaves;
  return bits.read(Infinity);
}

/** Every agent free with the required skills (`bits`) compared; a kind's later conversations take the first with room left in the ranking its second comparison made. */
function compareAll(tenant: TenantAgents, conversation: WaitingConversation, compiled: CompiledRequirements, method: RoutingMethod, now: number, skilled: SlotSet, start: KindPass | undefined): Choice {
  if (start) freeWithSkillsExactly(tenant, conversation.mediaType, start);
  const preference = preferenceOf(tenant, method, compiled);
  // Conversations that let agents go rank them each their own way.
  if (!start || conversation.declinedBy.length > 0 || start.compared++ === 0) return compareSkilled(tenant, skilled, conversation, compiled, method, now, preference);
  start.ranked ??= rankSkilled(tenant, skilled, compiled, preference);
  return firstWithRoom(tenant, start, conversation.mediaType, compiled, method, now);
}

/** How the method compares agents (see `Preference`): the positions of the order a walk would read. */
function preferenceOf(tenant: TenantAgents, method: RoutingMethod, compiled: CompiledRequirements): Preference {
  const ids = compiled.skillIds;
  if (method !== 'best-skills' || ids.length === 0) return { positions: tenant.order(method).positions, meanOf: undefined };
  if (ids.length === 1) return { positions: tenant.skillOrder(ids[0] as number).positions, meanOf: undefined };
  return { positions: tenant.order('longest-idle').positions, meanOf: ids };
}

/**
 * `choosePool` for the indexed choices: the same rule, with eligibility read from the
 * compiled requirements (the naive scan keeps `choosePool`, the reference as it was).
 */
export function comparePool(index: AgentIndex, pool: Iterable<AgentRecord>, conversation: WaitingConversation, compiled: CompiledRequirements, method: Method, now: number): Choice {
  let best: AgentRecord | undefined;
  let bestScore = 0;
  let bestDeclined = false;
  let candidates = 0;
  const { mediaType: media, tenant, declinedBy } = conversation;
  const { requirements } = compiled;
  for (const record of pool) {
    if (record.rooms[media] <= 0 || !eligible(record, tenant, compiled)) continue;
    candidates++;
    const rank = requirements.target ? -requirements.target.agents.indexOf(record.view.id) : scoreOf(method as RoutingMethod, record, compiled, now);
    const declined = declinedBy.length > 0 && declinedBy.includes(record.view.id);
    if (!best || (bestDeclined && !declined) || (bestDeclined === declined && outranks(rank, record.view, bestScore, best.view))) {
      best = record;
      bestScore = rank;
      bestDeclined = declined;
    }
  }
  return { record: best, candidates, score: best && bestScore };
}

/** The best eligible agent with a free slot among these, compared one by one (the naive rule, on a small pool). */
export function choosePool(index: AgentIndex, pool: Iterable<AgentRecord>, conversation: WaitingConversation, requirements: Requirements, method: Method, now: number): Choice {
  // The best so far, kept as plain values: this loop runs for every agent compared.
  let best: AgentRecord | undefined;
  let bestScore = 0;
  let bestDeclined = false;
  let candidates = 0;
  const declinedBy = conversation.declinedBy;
  for (const record of pool) {
    if (index.room(record, conversation.mediaType) <= 0 || !qualifies(record.view, conversation.tenant, requirements)) continue;
    candidates++;
    const rank = requirements.target ? -requirements.target.agents.indexOf(record.view.id) : score(method as RoutingMethod, record.view, requirements.skills, now);
    const declined = declinedBy.length > 0 && declinedBy.includes(record.view.id);
    if (!best || (bestDeclined && !declined) || (bestDeclined === declined && outranks(rank, record.view, bestScore, best.view))) {
      best = record;
      bestScore = rank;
      bestDeclined = declined;
    }
  }
  return { record: best, candidates, score: best && bestScore };
}

const asAgent = (c: Candidate) => ({ agent: c.record.view, score: c.score });

/** `beats`, on plain values: higher score, then idle longer, then id. */
function outranks(score: number, agent: AgentRecord['view'], otherScore: number, other: AgentRecord['view']): boolean {
  if (score !== otherScore) return score > otherScore;
  if (agent.lastActivityAt !== other.lastActivityAt) return agent.lastActivityAt < other.lastActivityAt;
  return agent.id < other.id;
}

/**
 * Best-skills over several required skills: the mean proficiency is read from the
 * per-skill orders in step; an agent not yet read in any of them scores at most the mean
 * of the levels read last (the threshold), so the walk stops once the best eligible agent
 * reaches it. An order that runs out, or falls below the skill's minimum, means every
 * eligible agent has been read.
 */
function bestOfSkills(tenant: TenantAgents, conversation: WaitingConversation, compiled: CompiledRequirements, skilled: SlotSet, now: number): Choice {
  const { requirements } = compiled;
  const declined = (record: AgentRecord) => conversation.declinedBy.includes(record.view.id);
  const { tenant: tenantName, mediaType: media } = conversation;
  const skills = requirements.skills;
  const orders = compiled.skillIds.map((id) => tenant.skillOrder(id));
  const positions = orders.map(() => 0);
  const free = tenant.free[media].all.words;
  const records = tenant.records;
  /** The next agent with a free slot in the i-th skill's order. */
  const next = (i: number): AgentRecord | undefined => {
    const order = orders[i] as (typeof orders)[number];
    for (let p = positions[i] as number; p < order.length; p++) {
      const slot = order.slots[p] as number;
      if (!has(free, slot)) continue;
      positions[i] = p + 1;
      return records[slot];
    }
    positions[i] = order.length;
    return undefined;
  };
  const last: AgentRecord[] = [];
  const seen = new Set<AgentRecord>();
  let best: Candidate | undefined;
  let fallback: Candidate | undefined;
  let candidates = 0;
  const better = (a: Candidate, b: Candidate | undefined) => !b || beats(asAgent(a), asAgent(b));
  for (;;) {
    let exhausted = false;
    for (let i = 0; i < skills.length; i++) {
      const skill = skills[i] as string;
      const record = next(i);
      if (!record || (record.view.skills.get(skill) ?? 0) < requirements.minProficiency(skill)) {
        exhausted = true;
        continue;
      }
      last[i] = record;
      if (seen.has(record)) continue;
      seen.add(record);
      if (!skilled.holds(record.slot) || !eligible(record, tenantName, compiled)) continue;
      candidates++;
      const candidate = { record, score: score('best-skills', record.view, skills, now), declined: declined(record) };
      if (candidate.declined) {
        if (better(candidate, fallback)) fallback = candidate;
      } else if (better(candidate, best)) best = candidate;
    }
    if (exhausted) break;
    if (best) {
      let threshold = 0;
      for (let i = 0; i < skills.length; i++) threshold += (last[i] as AgentRecord).view.skills.get(skills[i] as string) ?? 0;
      threshold /= skills.length;
      const top = best;
      if (top.score > threshold || (top.score === threshold && last.some((r) => tieBreak(top.record.view, r.view) <= 0))) break;
    }
  }
  const winner = best ?? fallback;
  return { record: winner?.record, candidates, score: winner?.score };
}
