import type { AgentEvent } from '../../../src/contract/index.ts';

/**
 * An events WebSocket (an agent's, or the tenant's supervisor stream), reopened after every loss (a network drop, a gateway
 * restart's 1001, a 1013 for a slow client) with a growing delay. `onOpen` runs each time
 * it opens: that is when the client resynchronizes (docs/agent-api.md §7 — open first,
 * then read the state, so nothing published meanwhile is missed).
 */
export interface EventsSocketOptions<E = AgentEvent> {
  url: () => string;
  onEvent: (event: E) => void;
  onOpen: () => void;
  onLost: () => void;
  /** First retry delay; doubled up to `maxDelayMs`. @default 500 */
  minDelayMs?: number;
  /** @default 5000 */
  maxDelayMs?: number;
}

export class EventsSocket<E = AgentEvent> {
  private socket: WebSocket | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private delay: number;
  private stopped = false;

  constructor(private readonly options: EventsSocketOptions<E>) {
    this.delay = options.minDelayMs ?? 500;
    this.open();
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.close(1000);
  }

  private open(): void {
    const socket = new WebSocket(this.options.url());
    this.socket = socket;
    socket.onopen = () => {
      this.delay = this.options.minDelayMs ?? 500;
      this.options.onOpen();
    };
    socket.onmessage = (frame) => {
      if (typeof frame.data === 'string') this.options.onEvent(JSON.parse(frame.data) as E);
    };
    socket.onclose = () => {
      if (this.stopped || socket !== this.socket) return;
      this.options.onLost();
      this.timer = setTimeout(() => this.open(), this.delay);
      this.delay = Math.min(this.delay * 2, this.options.maxDelayMs ?? 5000);
    };
  }
}
