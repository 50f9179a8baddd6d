import type { Members } from '../config/index.ts';
import type { AgentView } from './agent-view.ts';
import type { Requirements } from './requirements.ts';

/** Whether an agent belongs to a queue's members (no members listed: every agent does). */
export function isMember(members: Members | undefined, agent: AgentView): boolean {
  if (!members) return true;
  if (members.agents?.includes(agent.id)) return true;
  const selector = members.selector;
  return selector !== undefined && Object.entries(selector).every(([k, v]) => agent.labels[k] === v);
}

/**
 * Whether the agent qualifies, capacity aside: available, a member, with every required
 * skill at the required proficiency, speaking the conversation's language — or one of
 * the agents the conversation waits for, where that wait overrides the rules.
 */
export function qualifies(agent: AgentView, tenant: string, req: Requirements): boolean {
  if (agent.tenant !== tenant || !agent.available) return false;
  if (req.target) {
    if (!req.target.agents.includes(agent.id)) return false;
    if (req.targetBypassesRules) return true;
  }
  if (!isMemberOfAny(req.members, agent)) return false;
  for (const skill of req.skills) {
    const proficiency = agent.skills.get(skill);
    if (proficiency === undefined || proficiency < req.minProficiency(skill)) return false;
  }
  return !req.language || agent.languages.has(req.language);
}

/** Whether the agent is a member by any of these (`undefined`: anyone is). */
export function isMemberOfAny(members: Requirements['members'], agent: AgentView): boolean {
  for (const m of members) if (isMember(m, agent)) return true;
  return false;
}
