import type { AgentView } from '../../../src/gateway/views.ts';
import type { Api } from './api.ts';
import { EventsSocket } from './events-socket.ts';
import { Store } from './store.ts';

/**
 * The supervisor's agent status board: every agent of the tenant (`GET /v1/agents`, staff
 * view), kept live by each agent's events WebSocket — which supervisors may open — and
 * re-read whenever a socket (re)opens, as docs/agent-api.md §7 says.
 */
export interface AgentBoardState {
  agents: AgentView[];
  /** When the board saw each agent's presence change (absent until it has). */
  changedAt: Record<string, number>;
  error: string | undefined;
}

export class AgentBoardStore extends Store<AgentBoardState> {
  private sockets: EventsSocket[] = [];

  constructor(private readonly api: Api) {
    super({ agents: [], changedAt: {}, error: undefined });
  }

  async start(): Promise<void> {
    try {
      const { agents } = await this.api.listAgents();
      this.set({ agents: agents as AgentView[] });
      this.sockets = (agents as AgentView[]).map(
        (agent) =>
          new EventsSocket({
            url: () => this.api.eventsUrl(agent.id),
            onOpen: () => void this.refresh(agent.id),
            onLost: () => undefined,
            onEvent: (event) => {
              if (event.type === 'agent.state') this.update(event.agentId, { presence: event.presence, capacity: event.capacity });
              else if (event.type !== 'command.result') void this.refresh(event.agentId);
            },
          }),
      );
    } catch (err) {
      this.set({ error: (err as Error).message });
    }
  }

  stop(): void {
    for (const socket of this.sockets) socket.close();
  }

  private async refresh(agentId: string): Promise<void> {
    try {
      this.update(agentId, await this.api.getAgent(agentId));
    } catch (err) {
      this.set({ error: (err as Error).message });
    }
  }

  private update(agentId: string, changes: Partial<AgentView>): void {
    const before = this.state.agents.find((a) => a.id === agentId);
    const moved = changes.presence !== undefined && before !== undefined && before.presence !== changes.presence;
    this.set({
      agents: this.state.agents.map((a) => (a.id === agentId ? { ...a, ...changes } : a)),
      ...(moved && { changedAt: { ...this.state.changedAt, [agentId]: Date.now() } }),
    });
  }
}
