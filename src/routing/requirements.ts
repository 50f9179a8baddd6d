import type { Members, QueueConfig } from '../config/index.ts';
import type { WaitingConversation } from './waiting-conversation.ts';

/** What an agent must satisfy to be offered a conversation right now. */
export interface Requirements {
  skills: readonly string[];
  minProficiency(skill: string): number;
  /** The agent must be a member by any of these (`undefined` in the list: anyone). */
  members: readonly (Members | undefined)[];
  language: string | null;
  /** Only these agents, in order of preference, while the conversation waits for them. */
  target: { agents: readonly string[]; reason: 'preferred' | 'last-agent' | 'transfer' } | null;
  /** The target agents need not be members or skilled (last agent on any queue, transfer). */
  targetBypassesRules: boolean;
}

/**
 * Combines the queue's live configuration with where the conversation stands: its
 * bullseye ring (skills dropped, proficiency floor, members added so far) and the agents
 * it waits for. `isOnline` lets a wait for agents who are all offline end at once.
 */
export function requirementsOf(
  conversation: Pick<WaitingConversation, 'skills' | 'language' | 'ring' | 'target'>,
  queue: QueueConfig | undefined,
  now: number,
  isOnline: (agentId: string) => boolean,
): Requirements {
  const rings = queue?.bullseye?.rings ?? [];
  const passed = rings.slice(0, conversation.ring + 1);
  const exhausted = rings.length > 0 && conversation.ring >= rings.length;
  const dropped = new Set(passed.flatMap((r) => r.dropSkills));
  const anyone = exhausted && queue?.bullseye?.whenExhausted === 'anyone';
  const skills = anyone ? [] : [...new Set([...(queue?.skills ?? []), ...conversation.skills])].filter((s) => !dropped.has(s));
  const floor = passed.reduce<number | undefined>((current, ring) => ring.minProficiency ?? current, undefined);

  const target = conversation.target;
  const waiting =
    target !== null &&
    (target.until === null || Date.parse(target.until) > now) &&
    (target.reason === 'transfer' || target.agents.some(isOnline));

  return {
    skills,
    minProficiency: (skill) => floor ?? queue?.minProficiency[skill] ?? 1,
    members: [queue?.members, ...passed.map((r) => r.addMembers).filter((m) => m !== undefined)],
    language: conversation.language,
    target: waiting ? { agents: target.agents, reason: target.reason } : null,
    targetBypassesRules: waiting && (target.reason === 'transfer' || (target.reason === 'last-agent' && queue?.lastAgent.mode !== 'this-queue')),
  };
}
