import type { RoutingMethod } from '../config/index.ts';
import type { AgentIndex, AgentRecord } from './agent-index.ts';
import { choosePool } from './agent-choice.ts';
import type { Requirements } from './requirements.ts';
import { servingOrder, type Urgent } from './urgency.ts';
import type { WaitingConversation } from './waiting-conversation.ts';

export interface NaiveScanContext {
  requirements(conversation: WaitingConversation): Requirements;
  method(conversation: WaitingConversation): RoutingMethod;
  urgency(conversation: WaitingConversation): number;
  now: number;
  offer(conversation: WaitingConversation, record: AgentRecord, reason: { method: string; candidates: number; score: number | undefined }): void;
}

/**
 * The reference the scheduler is held to: every ready conversation, sorted by urgency,
 * compares every agent and takes the best eligible one with a free slot. Quadratic; the
 * routing benchmark's baseline and the equivalence tests' oracle.
 */
export function naiveScan(ready: Iterable<WaitingConversation>, agents: AgentIndex, context: NaiveScanContext): void {
  const order: (Urgent & { conversation: WaitingConversation })[] = [];
  for (const conversation of ready) order.push({ conversation, urgency: context.urgency(conversation), enqueuedAt: conversation.enqueuedAt, id: conversation.id });
  order.sort(servingOrder);
  for (const { conversation } of order) {
    const requirements = context.requirements(conversation);
    const method = requirements.target ? requirements.target.reason : context.method(conversation);
    const choice = choosePool(agents, agents.all(), conversation, requirements, method, context.now);
    if (choice.record) context.offer(conversation, choice.record, { method, candidates: choice.candidates, score: choice.score });
  }
}
