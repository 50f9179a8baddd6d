import { FirstOrBacklog, type KeyLane } from '../runtime/index.ts';

interface Waiting {
  key: string;
  start: () => void;
}

/**
 * At most `limit` tasks at once, for work keyed by a conversation key; the others wait in
 * the two lanes of `FirstOrBacklog`, each in the order it came: the first message of a
 * key not forwarded before (a new customer), and the rest (follow-ups). When both lanes
 * wait, a freed slot goes to each in turn, so a new customer is not queued behind a
 * backlog of follow-ups, and a stream of new customers cannot starve the follow-ups.
 */
export class ForwardLimit {
  private running = 0;
  private readonly lanes: Record<KeyLane, Waiting[]> = { first: [], backlog: [] };
  private readonly keyLanes = new FirstOrBacklog();
  private firstTurn = true;

  constructor(private readonly limit: number) {}

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    await new Promise<void>((start) => {
      this.lanes[this.keyLanes.enter(key)].push({ key, start });
      // A free slot means nothing else waits: this task is the one started.
      if (this.running < this.limit) {
        this.running++;
        this.startNext();
      }
    });
    try {
      return await task();
    } finally {
      this.startNext();
    }
  }

  /** Hands a slot (just freed, or taken) to the next waiting task, the lanes in turn; gives it back when none waits. */
  private startNext(): void {
    const { first, backlog } = this.lanes;
    const lane: KeyLane = first.length > 0 && (backlog.length === 0 || this.firstTurn) ? 'first' : 'backlog';
    if (first.length > 0 && backlog.length > 0) this.firstTurn = !this.firstTurn;
    const waiting = this.lanes[lane].shift();
    if (!waiting) {
      this.running--;
      return;
    }
    this.keyLanes.leave(waiting.key, lane);
    waiting.start();
  }
}
