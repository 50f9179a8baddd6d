import type { RoutingMethod } from '../config/index.ts';
import type { AgentIndex, AgentRecord } from './agent-index.ts';
import { tieBreak } from './agent-index.ts';
import { qualifies } from './eligibility.ts';
import { beats, score } from './methods.ts';
import type { Requirements } from './requirements.ts';
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

/**
 * The eligible agent with a free slot the method prefers, as a scan of every agent would
 * find it (agents who let the conversation go come last), without that scan: the agents
 * are walked in the method's order and the walk stops at the first eligible one. When
 * eligible agents are rare the walk is bounded by the free agents having the rarest
 * required skill, which are then compared directly. Best-skills over several skills reads
 * the per-skill orders side by side and stops once no agent not yet read can score higher
 * (Fagin's threshold algorithm).
 */
export function chooseAgent(index: AgentIndex, conversation: WaitingConversation, requirements: Requirements, method: Method, now: number): Choice {
  const { tenant, mediaType: media } = conversation;
  if (requirements.target) {
    const pool = requirements.target.agents.flatMap((id) => index.record(tenant, id) ?? []);
    return choosePool(index, pool, conversation, requirements, method, now);
  }
  const declined = (record: AgentRecord) => conversation.declinedBy.length > 0 && conversation.declinedBy.includes(record.view.id);
  const eligible = (record: AgentRecord) => qualifies(record.view, tenant, requirements);
  const skills = requirements.skills;
  if (method === 'best-skills' && skills.length > 1) return bestOfSkills(index, conversation, requirements, declined, now);

  const order = method === 'best-skills' ? (skills.length === 1 ? (`skill:${skills[0] as string}` as const) : 'best-skills') : (method as Exclude<RoutingMethod, 'best-skills'>);
  // The smallest set every eligible agent belongs to bounds the walk.
  let driver: Iterable<AgentRecord> | undefined;
  let budget = Infinity;
  for (const skill of skills) {
    const set = index.freeWithSkill(tenant, media, skill);
    if (set.size < budget) [driver, budget] = [set, set.size];
  }
  const listed = listedMembers(index, tenant, requirements);
  if (listed && listed.length < budget) [driver, budget] = [listed, listed.length];
  if (budget === 0) return { record: undefined, candidates: 0, score: undefined };

  const cursor = index.list(tenant, media, order).cursor();
  let fallback: AgentRecord | undefined;
  let candidates = 0;
  for (let record = cursor.next(), steps = 1; record; record = cursor.next(), steps++) {
    if (steps > budget && driver) return choosePool(index, driver, conversation, requirements, method, now);
    if (!eligible(record)) continue;
    candidates++;
    if (!declined(record)) return { record, candidates, score: score(method as RoutingMethod, record.view, skills, now) };
    fallback ??= record;
  }
  return { record: fallback, candidates, score: fallback && score(method as RoutingMethod, fallback.view, skills, now) };
}

/** The best eligible agent with a free slot among these, compared one by one (the naive rule, on a small pool). */
export function choosePool(index: AgentIndex, pool: Iterable<AgentRecord>, conversation: WaitingConversation, requirements: Requirements, method: Method, now: number): Choice {
  let best: Candidate | undefined;
  let candidates = 0;
  for (const record of pool) {
    if (index.room(record, conversation.mediaType) <= 0 || !qualifies(record.view, conversation.tenant, requirements)) continue;
    candidates++;
    const rank = requirements.target ? -requirements.target.agents.indexOf(record.view.id) : score(method as RoutingMethod, record.view, requirements.skills, now);
    const candidate = { record, score: rank, declined: conversation.declinedBy.includes(record.view.id) };
    if (!best || (best.declined && !candidate.declined) || (best.declined === candidate.declined && beats(asAgent(candidate), asAgent(best)))) best = candidate;
  }
  return { record: best?.record, candidates, score: best?.score };
}

const asAgent = (c: Candidate) => ({ agent: c.record.view, score: c.score });

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
function bestOfSkills(index: AgentIndex, conversation: WaitingConversation, requirements: Requirements, declined: (r: AgentRecord) => boolean, now: number): Choice {
  const { tenant, mediaType: media } = conversation;
  const skills = requirements.skills;
  const cursors = skills.map((skill) => index.list(tenant, media, `skill:${skill}`).cursor());
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
      if (seen.has(record)) continue;
      seen.add(record);
      if (!qualifies(record.view, tenant, requirements)) continue;
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
