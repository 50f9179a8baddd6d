import { agentKey } from './agent-index.ts';
import { SortedList } from './sorted-list.ts';
import type { WaitingConversation } from './waiting-conversation.ts';

interface Deadline {
  at: number;
  conversation: WaitingConversation;
}

/**
 * Waiting conversations with a target (preferred agents, last agent, transfer): by target
 * agent, whose presence decides whether the wait goes on, and by the end of the wait.
 * Whether a wait is on changes with the clock and presence, not with the conversation:
 * these say when to look again.
 */
export class TargetWaits {
  private readonly byAgent = new Map<string, Set<string>>();
  private readonly deadlines = new SortedList<Deadline>((a, b) => a.at - b.at || (a.conversation.id < b.conversation.id ? -1 : a.conversation.id > b.conversation.id ? 1 : 0));
  private readonly deadlineOf = new Map<string, Deadline>();

  add(c: WaitingConversation): void {
    if (!c.target) return;
    for (const id of c.target.agents) {
      const k = agentKey(c.tenant, id);
      let set = this.byAgent.get(k);
      if (!set) this.byAgent.set(k, (set = new Set()));
      set.add(c.id);
    }
    if (c.target.until !== null) {
      const deadline = { at: Date.parse(c.target.until), conversation: c };
      this.deadlines.insert(deadline);
      this.deadlineOf.set(c.id, deadline);
    }
  }

  delete(c: WaitingConversation): void {
    if (!c.target) return;
    for (const id of c.target.agents) {
      const k = agentKey(c.tenant, id);
      const set = this.byAgent.get(k);
      set?.delete(c.id);
      if (set?.size === 0) this.byAgent.delete(k);
    }
    const deadline = this.deadlineOf.get(c.id);
    if (deadline) this.deadlines.delete(deadline);
    this.deadlineOf.delete(c.id);
  }

  /** The conversations waiting for this agent (by `agentKey`). */
  waitingFor(agent: string): ReadonlySet<string> {
    return this.byAgent.get(agent) ?? none;
  }

  /** The conversations whose wait reached its end by `now` (each given once). */
  ended(now: number): string[] {
    const ids: string[] = [];
    for (let first = this.deadlines.first(); first && first.at <= now; first = this.deadlines.first()) {
      this.deadlines.shift();
      this.deadlineOf.delete(first.conversation.id);
      ids.push(first.conversation.id);
    }
    return ids;
  }
}

const none: ReadonlySet<string> = new Set();
