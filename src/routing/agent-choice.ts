import type { RoutingMethod } from '../config/index.ts';
import type { MediaType } from '../contract/index.ts';
import type { AgentIndex, AgentRecord } from './agent-index.ts';
import { tieBreak } from './agent-index.ts';
import { has, intersect, type AgentBits } from './agent-bits.ts';
import type { WalkOrder } from './ordered-agents.ts';
import { qualifies } from './eligibility.ts';
import { beats, score } from './methods.ts';
import type { Requirements } from './requirements.ts';
import { eligible, type CompiledRequirements } from './compiled-requirements.ts';
import type { WaitingConversation } from './waiting-conversation.ts';

/** The agent chosen (if any), how many eligible agents the choice examined, and the winner's score. */
export interface Choice {
  record: AgentRecord | undefined;
  candidates: number;
  score: number | undefined;
}

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
 * A walk in a method's order gives up after this many agents per agent free with every
 * required skill, and compares those instead: an agent compared costs about as much as
 * this many agents stepped over.
 */
export const WALK_STEPS_PER_AGENT = 32;
/** One bit array per width (a tenant's word count), reused from choice to choice: a choice allocates nothing it need not. */
const scratchByWords = new Map<number, Uint32Array>();

function scratchOf(words: number): Uint32Array {
  let bits = scratchByWords.get(words);
  if (!bits) scratchByWords.set(words, (bits = new Uint32Array(words)));
  return bits;
}

/** Nobody: the common answer when agents are busy, shared rather than built per choice. */
const NOBODY: Choice = Object.freeze({ record: undefined, candidates: 0, score: undefined });

/**
 * What the choices for one kind of conversation learned within a pass. In a pass agents
 * only lose room (views change between passes), so an agent found ineligible stays so, and
 * the eligible agents keep their order: the next conversation of the kind starts its walk
 * at the first agent a walk found eligible (`from`), and takes the first agent with room
 * left in the ranking an earlier comparison made (`ranked`, built by a kind's second one).
 */
export interface KindPass {
  /** Used in this pass (reset when it ends). */
  used: boolean;
  /** The position, in the walk order `fromOrder` as it stood at `fromVersion`, of the first agent a walk found eligible. */
  from: number | undefined;
  fromOrder: WalkOrder | undefined;
  fromVersion: number;
  /** How many comparisons of every eligible agent this pass made for the kind. */
  compared: number;
  ranked: { record: AgentRecord; score: number }[] | undefined;
  /** Where in `ranked` the agents with room may start (those before have none left). */
  next: number;
}

/** A kind's pass state, fresh. */
export const freshPass = (): KindPass => ({ used: false, from: undefined, fromOrder: undefined, fromVersion: 0, compared: 0, ranked: undefined, next: 0 });

/**
 * The eligible agent with a free slot the method prefers, as a scan of every agent would
 * find it (agents who let the conversation go come last), without that scan. The bit
 * sets of the agents free with each required skill are intersected first: none means
 * nobody (the common answer when agents are busy), a few are compared one by one, and
 * many are walked in the method's order until the first eligible one. Best-skills over
 * several skills reads the per-skill orders side by side and stops once no agent not
 * yet read can score higher (Fagin's threshold algorithm).
 */
export function chooseAgent(index: AgentIndex, conversation: WaitingConversation, requirements: Requirements, method: Method, now: number, few = COMPARED_ONE_BY_ONE, start?: KindPass): Choice {
  const { tenant, mediaType: media } = conversation;
  const compiled = index.compiled(requirements);
  if (requirements.target) {
    const pool = requirements.target.agents.flatMap((id) => index.record(tenant, id) ?? []);
    return comparePool(index, pool, conversation, compiled, method, now);
  }
  const listed = listedMembers(index, tenant, requirements);
  if (listed && listed.length <= few) return comparePool(index, listed, conversation, compiled, method, now);

  const skills = requirements.skills;
  // The sets to intersect, in an array reused from choice to choice (a choice allocates nothing it need not).
  const sets = setsScratch;
  sets.length = 0;
  if (skills.length > 0) for (const skill of skills) sets.push(index.freeWithSkill(tenant, media, skill).bits);
  else sets.push(index.freeFor(tenant, media).bits);
  const bits = scratchOf((index.slotCount(tenant) + 31) >>> 5);
  const count = intersect(sets, bits);
  if (count === 0) return NOBODY;
  if (count <= few) return compareAll(index, conversation, compiled, method, now, bits, start);
  if (method === 'best-skills' && skills.length > 1) return count > BEST_OF_SKILLS_COMPARED ? bestOfSkills(index, conversation, compiled, bits, now) : compareAll(index, conversation, compiled, method, now, bits, start);

  const ordered = method === 'best-skills' && skills.length === 1 ? index.skillList(tenant, media, skills[0] as string) : index.list(tenant, media, method as RoutingMethod);
  const busy = busyScratch;
  busy.length = 0;
  const free = index.freeFor(tenant, media).bits.words;
  const declinedBy = conversation.declinedBy;
  let fallback: AgentRecord | undefined;
  let candidates = 0;
  let chosen: AgentRecord | undefined;
  // Agents free without the skills gather at the front of an order (the others get taken): past this many steps, comparing is cheaper.
  let steps = WALK_STEPS_PER_AGENT * count;
  // The bits say who is free with the skills; the walk ends once it has met them all. It reads
  // the order's slots, contiguous: it may step over thousands of agents per choice.
  let met = 0;
  const walk = ordered.walkOrder();
  const slots = walk.slots;
  const records = index.slotRecords(tenant);
  const placed = ordered.listed.words;
  const resumes = start !== undefined && start.from !== undefined && start.fromOrder === walk && start.fromVersion === walk.version;
  for (let i = resumes ? (start.from as number) : 0; i < walk.length; i++) {
    const slot = slots[i] as number;
    // Taken out of the order since the slots were written (no free slot, or no longer the skill).
    if (((placed[slot >>> 5] ?? 0) & (1 << (slot & 31))) === 0) continue;
    if (--steps < 0) {
      index.prune(ordered, media, busy);
      return compareAll(index, conversation, compiled, method, now, bits, start);
    }
    if (((bits[slot >>> 5] as number) & (1 << (slot & 31))) === 0) {
      if (((free[slot >>> 5] ?? 0) & (1 << (slot & 31))) === 0) busy.push(records[slot] as AgentRecord);
      continue;
    }
    const record = records[slot] as AgentRecord;
    if (!eligible(record, tenant, compiled)) {
      if (++met === count) break;
      continue;
    }
    if (start && candidates === 0) {
      start.from = i;
      start.fromOrder = walk;
      start.fromVersion = walk.version;
    }
    candidates++;
    if (declinedBy.length === 0 || !declinedBy.includes(record.view.id)) {
      chosen = record;
      break;
    }
    fallback ??= record;
    if (++met === count) break;
  }
  index.prune(ordered, media, busy);
  chosen ??= fallback;
  return { record: chosen, candidates, score: chosen && score(method as RoutingMethod, chosen.view, skills, now) };
}

const setsScratch: AgentBits[] = [];
const busyScratch: AgentRecord[] = [];
const poolScratch: AgentRecord[] = [];

/** Every agent free with the required skills (`bits`) compared; a kind's later conversations take the first with room left in the ranking its second comparison made. */
function compareAll(index: AgentIndex, conversation: WaitingConversation, compiled: CompiledRequirements, method: Method, now: number, bits: Uint32Array, start: KindPass | undefined): Choice {
  const { tenant } = conversation;
  // Conversations that let agents go rank them each their own way.
  if (!start || conversation.declinedBy.length > 0 || start.compared++ === 0) return comparePool(index, recordsOf(index, tenant, bits), conversation, compiled, method, now);
  start.ranked ??= rank(index, recordsOf(index, tenant, bits), conversation, compiled, method as RoutingMethod, now);
  return firstWithRoom(index, start, conversation.mediaType);
}

/** The eligible agents with a free slot, best first by the rule `choosePool` applies. */
function rank(index: AgentIndex, pool: readonly AgentRecord[], conversation: WaitingConversation, compiled: CompiledRequirements, method: RoutingMethod, now: number): { record: AgentRecord; score: number }[] {
  const ranked: { record: AgentRecord; score: number }[] = [];
  for (const record of pool) {
    if (index.room(record, conversation.mediaType) <= 0 || !eligible(record, conversation.tenant, compiled)) continue;
    ranked.push({ record, score: scoreOf(method, record, compiled, now) });
  }
  return ranked.sort((a, b) => (outranks(a.score, a.record.view, b.score, b.record.view) ? -1 : 1));
}

/** The first ranked agent that still has a free slot (one examined: the ranking did the comparing). */
function firstWithRoom(index: AgentIndex, pass: KindPass, media: MediaType): Choice {
  const ranked = pass.ranked as { record: AgentRecord; score: number }[];
  for (; pass.next < ranked.length; pass.next++) {
    const { record, score } = ranked[pass.next] as { record: AgentRecord; score: number };
    if (index.room(record, media) > 0) return { record, candidates: 1, score };
  }
  return { record: undefined, candidates: 0, score: undefined };
}

/** The agents whose slots are set, in an array reused from choice to choice (read before the next choice). */
function recordsOf(index: AgentIndex, tenant: string, bits: Uint32Array): AgentRecord[] {
  return index.recordsIn(tenant, bits, poolScratch);
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

/**
 * `score` (methods.ts) of an eligible agent, with best-skills read from its level array by
 * the compiled skill ids: the same sum in the same order as `score`'s, without a map
 * lookup by skill name per agent compared.
 */
function scoreOf(method: RoutingMethod, record: AgentRecord, compiled: CompiledRequirements, now: number): number {
  const ids = compiled.skillIds;
  if (method !== 'best-skills' || ids.length === 0) return score(method, record.view, compiled.requirements.skills, now);
  const levels = record.levels;
  let total = 0;
  for (let i = 0; i < ids.length; i++) total += levels[ids[i] as number] as number;
  return total / ids.length;
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

/** Members listed by id only (no selector): then they are the only possible candidates. */
function listedMembers(index: AgentIndex, tenant: string, requirements: Requirements): AgentRecord[] | undefined {
  if (requirements.members.some((m) => !m || m.selector !== undefined || !m.agents)) return undefined;
  const ids = new Set(requirements.members.flatMap((m) => m?.agents ?? []));
  return [...ids].flatMap((id) => index.record(tenant, id) ?? []);
}

/**
 * Best-skills over several required skills: the mean proficiency is read from the
 * per-skill orders in step; an agent not yet read in any of them scores at most the mean
 * of the levels read last (the threshold), so the walk stops once the best eligible agent
 * reaches it. An order that runs out, or falls below the skill's minimum, means every
 * eligible agent has been read.
 */
function bestOfSkills(index: AgentIndex, conversation: WaitingConversation, compiled: CompiledRequirements, eligibleBits: Uint32Array, now: number): Choice {
  const { requirements } = compiled;
  const declined = (record: AgentRecord) => conversation.declinedBy.includes(record.view.id);
  const { tenant, mediaType: media } = conversation;
  const skills = requirements.skills;
  const lists = skills.map((skill) => index.skillList(tenant, media, skill));
  const cursors = lists.map((ordered) => ordered.cursor());
  const busy: AgentRecord[][] = lists.map(() => []);
  const free = index.freeFor(tenant, media).bits.words;
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
      const record = (cursors[i] as { next(): AgentRecord | undefined }).next();
      if (!record || (record.view.skills.get(skill) ?? 0) < requirements.minProficiency(skill)) {
        exhausted = true;
        continue;
      }
      last[i] = record;
      if (!has(free, record.slot)) (busy[i] as AgentRecord[]).push(record);
      if (seen.has(record)) continue;
      seen.add(record);
      if (!has(eligibleBits, record.slot) || !eligible(record, tenant, compiled)) continue;
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
  lists.forEach((ordered, i) => index.prune(ordered, media, busy[i] as AgentRecord[]));
  const winner = best ?? fallback;
  return { record: winner?.record, candidates, score: winner?.score };
}
