import type { QueueActivity, SupervisorFrame } from '../../../src/supervision/views.ts';
import type { Api } from './api.ts';
import { EventsSocket } from './events-socket.ts';
import { Store } from './store.ts';

/**
 * The supervisor's queue view: the tenant's supervisor stream (one WebSocket for every
 * queue). Each (re)connection starts with a snapshot that replaces what is shown; then each
 * frame replaces one queue's activity (docs/agent-api.md, the supervisor stream).
 */
export interface QueueActivityState {
  queues: QueueActivity[];
  connected: boolean;
}

export class QueueActivityStore extends Store<QueueActivityState> {
  private socket: EventsSocket<SupervisorFrame> | undefined;

  constructor(
    private readonly api: Api,
    /** Where "today" starts: the browser's zone. */
    private readonly timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone,
  ) {
    super({ queues: [], connected: false });
  }

  start(): void {
    this.socket = new EventsSocket<SupervisorFrame>({
      url: () => this.api.supervisorEventsUrl(this.timeZone),
      onOpen: () => this.set({ connected: true }),
      onLost: () => this.set({ connected: false }),
      onEvent: (frame) => this.apply(frame),
    });
  }

  stop(): void {
    this.socket?.close();
  }

  private apply(frame: SupervisorFrame): void {
    if (frame.type === 'queues.snapshot') return this.set({ queues: frame.queues });
    if (frame.type === 'queue.removed') return this.set({ queues: this.state.queues.filter((q) => q.queue !== frame.queue) });
    const others = this.state.queues.filter((q) => q.queue !== frame.queue.queue);
    this.set({ queues: [...others, frame.queue].sort((a, b) => a.queue.localeCompare(b.queue)) });
  }
}
