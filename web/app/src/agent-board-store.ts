import type { AgentBoardFrame, AgentView } from '../../../src/gateway/views.ts';
import type { Api } from './api.ts';
import { EventsSocket } from './events-socket.ts';
import { Store } from './store.ts';

/**
 * The supervisor's agent status board: every agent of the tenant, from the supervisor
 * stream with `include=agents` (one WebSocket for the whole tenant, however many agents).
 * Each (re)connection starts with a snapshot that replaces the board; then each frame
 * replaces or removes one agent (docs/agent-api.md, the supervisor stream).
 */
export interface AgentBoardState {
  agents: AgentView[];
  connected: boolean;
}

export class AgentBoardStore extends Store<AgentBoardState> {
  private socket: EventsSocket<AgentBoardFrame> | undefined;

  constructor(
    private readonly api: Api,
    private readonly timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone,
  ) {
    super({ agents: [], connected: false });
  }

  start(): void {
    this.socket = new EventsSocket<AgentBoardFrame>({
      url: () => this.api.supervisorEventsUrl(this.timeZone, 'agents'),
      onOpen: () => this.set({ connected: true }),
      onLost: () => this.set({ connected: false }),
      onEvent: (frame) => this.apply(frame),
    });
  }

  stop(): void {
    this.socket?.close();
  }

  private apply(frame: AgentBoardFrame): void {
    if (frame.type === 'agents.snapshot') return this.set({ agents: frame.agents });
    const others = this.state.agents.filter((a) => a.id !== (frame.type === 'agent.view' ? frame.agent.id : frame.agentId));
    if (frame.type === 'agent.removed') return this.set({ agents: others });
    this.set({ agents: [...others, frame.agent].sort((a, b) => a.id.localeCompare(b.id)) });
  }
}
