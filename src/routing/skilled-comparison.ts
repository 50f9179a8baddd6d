import type { RoutingMethod } from '../config/index.ts';
import type { MediaType } from '../contract/index.ts';
import type { AgentRecord } from './agent-index.ts';
import { eligibleAt, type CompiledRequirements } from './compiled-requirements.ts';
import type { KindPass } from './kind-pass.ts';
import type { SlotSet } from './slot-set.ts';
import { score } from './methods.ts';
import type { TenantAgents } from './tenant-agents.ts';
import type { WaitingConversation } from './waiting-conversation.ts';

/** The agent chosen (if any), how many eligible agents the choice examined, and the winner's score. */
export interface Choice {
  record: AgentRecord | undefined;
  candidates: number;
  score: number | undefined;
}

/**
 * How a method prefers agents, read by slot as two numbers, lower first: an agent's
 * position in the method's order (which sorts by score, then idle time, then id); for
 * best-skills over several skills, its mean proficiency in them (negated), then its
 * position in the longest-idle order (the shared tie-break). Comparing two agents reads
 * typed arrays, never their records.
 */
export interface Preference {
  /** Positions by slot in the method's order; or, for best-skills over several skills, in the longest-idle order. */
  readonly positions: Int32Array;
  /** The skills whose mean proficiency comes first (best-skills over several skills), else none. */
  readonly meanOf: readonly number[] | undefined;
}

/**
 * The eligible agents among those free with every required skill (`bits`), compared one by
 * one: the one the method prefers, those who let the conversation go last (`choosePool`'s
 * rule, whose `candidates` is the number of eligible agents).
 */
export function compareSkilled(tenant: TenantAgents, skilled: SlotSet, conversation: WaitingConversation, compiled: CompiledRequirements, method: RoutingMethod, now: number, preference: Preference): Choice {
  const { declinedBy } = conversation;
  const { positions, meanOf } = preference;
  const levels = tenant.levels;
  let best = -1;
  let bestFirst = 0;
  let bestThen = 0;
  let bestDeclined = false;
  let candidates = 0;
  const words = skilled.words;
  for (let i = 0; i < skilled.wordCount; i++) {
    const w = skilled.wordAt(i);
    let word = words[w] as number;
    while (word !== 0) {
      const lowest = word & -word;
      word ^= lowest;
      const slot = (w << 5) + 31 - Math.clz32(lowest);
      if (!eligibleAt(tenant, slot, compiled)) continue;
      candidates++;
      const declined = declinedBy.length > 0 && declinedBy.includes((tenant.records[slot] as AgentRecord).view.id);
      const first = meanOf ? -meanLevel(levels, meanOf, slot) : (positions[slot] as number);
      const then = meanOf ? (positions[slot] as number) : 0;
      if (best < 0 || (bestDeclined && !declined) || (bestDeclined === declined && (first < bestFirst || (first === bestFirst && then < bestThen)))) {
        best = slot;
        bestFirst = first;
        bestThen = then;
        bestDeclined = declined;
      }
    }
  }
  if (best < 0) return { record: undefined, candidates, score: undefined };
  const record = tenant.records[best] as AgentRecord;
  return { record, candidates, score: scoreOf(method, record, compiled, now) };
}

/** The eligible agents among those free with every required skill, best first (for conversations nobody let go). */
export function rankSkilled(tenant: TenantAgents, skilled: SlotSet, compiled: CompiledRequirements, preference: Preference): number[] {
  const { positions, meanOf } = preference;
  const ranked = skilled.slots().filter((slot) => eligibleAt(tenant, slot, compiled));
  if (!meanOf) return ranked.sort((a, b) => (positions[a] as number) - (positions[b] as number));
  // Each mean computed once, not at every comparison: the agents are sorted by their index in `ranked`.
  const means = new Float64Array(ranked.length);
  ranked.forEach((slot, i) => (means[i] = meanLevel(tenant.levels, meanOf, slot)));
  const order = ranked.map((_, i) => i);
  order.sort((x, y) => (means[y] as number) - (means[x] as number) || (positions[ranked[x] as number] as number) - (positions[ranked[y] as number] as number));
  return order.map((i) => ranked[i] as number);
}

/** The first ranked agent that still has a free slot (one examined: the ranking did the comparing). */
export function firstWithRoom(tenant: TenantAgents, pass: KindPass, media: MediaType, compiled: CompiledRequirements, method: RoutingMethod, now: number): Choice {
  const ranked = pass.ranked as number[];
  for (; pass.next < ranked.length; pass.next++) {
    const record = tenant.records[ranked[pass.next] as number] as AgentRecord;
    if (record.rooms[media] > 0) return { record, candidates: 1, score: scoreOf(method, record, compiled, now) };
  }
  return { record: undefined, candidates: 0, score: undefined };
}

/** The mean proficiency over these skills (as `score` sums them: in the requirements' order). */
function meanLevel(levels: readonly Float64Array[], ids: readonly number[], slot: number): number {
  let total = 0;
  for (let i = 0; i < ids.length; i++) total += (levels[ids[i] as number] as Float64Array)[slot] as number;
  return total / ids.length;
}

/**
 * `score` (methods.ts) of an eligible agent, with best-skills read from its level array by
 * the compiled skill ids: the same sum in the same order as `score`'s, without a map
 * lookup by skill name per agent compared.
 */
export function scoreOf(method: RoutingMethod, record: AgentRecord, compiled: CompiledRequirements, now: number): number {
  const ids = compiled.skillIds;
  if (method !== 'best-skills' || ids.length === 0) return score(method, record.view, compiled.requirements.skills, now);
  const levels = record.levels;
  let total = 0;
  for (let i = 0; i < ids.length; i++) total += levels[ids[i] as number] as number;
  return total / ids.length;
}
