import type { AgentRecord } from './agent-index.ts';
import { isMemberOfAny } from './eligibility.ts';
import type { Requirements } from './requirements.ts';
import type { TenantAgents } from './tenant-agents.ts';

/**
 * Requirements as the choices check them agent after agent: the required skills as the
 * small integers the agent index gives skills, with the proficiency each needs. An
 * agent's proficiencies are an array indexed by those integers (`AgentRecord.levels`),
 * so checking an agent reads numbers instead of looking skill names up in a map.
 */
export interface CompiledRequirements {
  readonly requirements: Requirements;
  readonly skillIds: readonly number[];
  readonly floors: readonly number[];
  /** Every agent is a member (the queue lists none, or a ring opened it to anyone). */
  readonly anyMember: boolean;
  /** Only skills and proficiencies to check: any member, no language, no target. */
  readonly skillsOnly: boolean;
  /** The member agents' ids when every member list names its agents (no selector): then they are the only candidates. */
  readonly listed: readonly string[] | undefined;
}

export function compileRequirements(requirements: Requirements, skillId: (skill: string) => number): CompiledRequirements {
  const { skills } = requirements;
  // Plain arrays: a kind is made per group of conversations, and a typed array costs more to make than these few numbers are read.
  const skillIds = skills.map(skillId);
  const floors = skills.map((skill) => requirements.minProficiency(skill));
  const { members } = requirements;
  const anyMember = members.includes(undefined);
  const listed = members.some((m) => !m || m.selector !== undefined || !m.agents) ? undefined : [...new Set(members.flatMap((m) => m?.agents ?? []))];
  return { requirements, skillIds, floors, anyMember, skillsOnly: anyMember && !requirements.language && !requirements.target, listed };
}

/** `qualifies` (eligibility.ts), on the agent's record and compiled requirements: the same rule, read faster. */
export function eligible(record: AgentRecord, tenant: string, compiled: CompiledRequirements): boolean {
  const agent = record.view;
  if (agent.tenant !== tenant || !agent.available) return false;
  const req = compiled.requirements;
  if (req.target) {
    if (!req.target.agents.includes(agent.id)) return false;
    if (req.targetBypassesRules) return true;
  }
  if (!compiled.anyMember && !isMemberOfAny(req.members, agent)) return false;
  const { skillIds, floors } = compiled;
  const levels = record.levels;
  // A skill the agent lacks reads NaN (or past the end of its levels): never at the floor.
  for (let i = 0; i < skillIds.length; i++) if (!((levels[skillIds[i] as number] as number) >= (floors[i] as number))) return false;
  return !req.language || agent.languages.has(req.language);
}

/**
 * `eligible` for an agent among the free ones with every required skill at its floor
 * (the bit sets a choice intersects: see `TenantAgents.floorSet`), known by its slot:
 * nothing left to check unless members, a language or a target are required, and then
 * its record is read.
 */
export function eligibleAt(tenant: TenantAgents, slot: number, compiled: CompiledRequirements): boolean {
  return compiled.skillsOnly || eligible(tenant.records[slot] as AgentRecord, tenant.name, compiled);
}
