import type { AgentRecord } from './agent-index.ts';
import { isMemberOfAny } from './eligibility.ts';
import type { Requirements } from './requirements.ts';

/**
 * Requirements as the choices check them agent after agent: the required skills as the
 * small integers the agent index gives skills, with the proficiency each needs. An
 * agent's proficiencies are an array indexed by those integers (`AgentRecord.levels`),
 * so checking an agent reads numbers instead of looking skill names up in a map.
 */
export interface CompiledRequirements {
  readonly requirements: Requirements;
  readonly skillIds: Int32Array;
  readonly floors: Float64Array;
  /** Every agent is a member (the queue lists none, or a ring opened it to anyone). */
  readonly anyMember: boolean;
}

export function compileRequirements(requirements: Requirements, skillId: (skill: string) => number): CompiledRequirements {
  const { skills } = requirements;
  const skillIds = new Int32Array(skills.length);
  const floors = new Float64Array(skills.length);
  skills.forEach((skill, i) => {
    skillIds[i] = skillId(skill);
    floors[i] = requirements.minProficiency(skill);
  });
  return { requirements, skillIds, floors, anyMember: requirements.members.includes(undefined) };
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
