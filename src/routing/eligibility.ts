import type { Members, QueueConfig } from '../config/index.ts';
import type { AgentView } from './agent-view.ts';
import type { WaitingConversation } from './waiting-conversation.ts';

/** Whether an agent belongs to a queue's members (no members listed: every agent does). */
export function isMember(members: Members | undefined, agent: AgentView): boolean {
  if (!members) return true;
  if (members.agents?.includes(agent.id)) return true;
  const selector = members.selector;
  return selector !== undefined && Object.entries(selector).every(([k, v]) => agent.labels[k] === v);
}

/**
 * Whether the agent qualifies for the conversation, capacity aside: a member of the
 * queue, with every required skill at the queue's minimum proficiency, speaking the
 * conversation's language.
 */
export function qualifies(agent: AgentView, conversation: WaitingConversation, queue: QueueConfig | undefined): boolean {
  if (agent.tenant !== conversation.tenant || !agent.available) return false;
  if (!isMember(queue?.members, agent)) return false;
  for (const skill of conversation.skills) {
    const proficiency = agent.skills.get(skill);
    if (proficiency === undefined) return false;
    if (proficiency < (queue?.minProficiency[skill] ?? 1)) return false;
  }
  return !conversation.language || agent.languages.has(conversation.language);
}
