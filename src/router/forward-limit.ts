/** Keys remembered as forwarded, at most (beyond, the memory starts afresh: a few follow-ups then count as first messages). */
const REMEMBERED_KEYS = 100_000;

interface Waiting {
  key: string;
  start: () => void;
}

/**
 * At most `limit` tasks at once, for work keyed by a conversation key; the others wait in
 * two lanes, each in the order it came: the first message of a key not forwarded before
 * (a new customer), and the rest (follow-ups). When both lanes wait, a freed slot goes to
 * each in turn, so a new customer is not queued behind a backlog of follow-ups, and a
 * stream of new customers cannot starve the follow-ups. A key's messages keep their
 * order: while one waits in a lane, the key's next ones wait behind it in the same lane.
 */
export class ForwardLimit {
  private running = 0;
  private readonly first: Waiting[] = [];
  private readonly backlog: Waiting[] = [];
  /** Keys with tasks waiting in each lane, and how many. */
  private readonly waitingFirst = new Map<string, number>();
  private readonly waitingBacklog = new Map<string, number>();
  private readonly seen = new Set<string>();
  private firstTurn = true;

  constructor(private readonly limit: number) {}

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const isFirst = this.waitingFirst.has(key) || (!this.seen.has(key) && !this.waitingBacklog.has(key));
    if (this.seen.size >= REMEMBERED_KEYS) this.seen.clear();
    this.seen.add(key);
    // A slot freed goes straight to a waiting task (see `next`), so none can overtake one of its key.
    if (this.running < this.limit && !this.waitingFirst.has(key) && !this.waitingBacklog.has(key)) this.running++;
    else {
      const [lane, counts] = isFirst ? [this.first, this.waitingFirst] : [this.backlog, this.waitingBacklog];
      await new Promise<void>((start) => {
        lane.push({ key, start });
        counts.set(key, (counts.get(key) ?? 0) + 1);
      });
    }
    try {
      return await task();
    } finally {
      this.next();
    }
  }

  /** Hands the freed slot to the next waiting task: the lanes take turns. */
  private next(): void {
    const fromFirst = this.first.length > 0 && (this.backlog.length === 0 || this.firstTurn);
    if (this.first.length > 0 && this.backlog.length > 0) this.firstTurn = !this.firstTurn;
    const [lane, counts] = fromFirst ? [this.first, this.waitingFirst] : [this.backlog, this.waitingBacklog];
    const waiting = lane.shift();
    if (!waiting) {
      this.running--;
      return;
    }
    const left = (counts.get(waiting.key) ?? 1) - 1;
    if (left === 0) counts.delete(waiting.key);
    else counts.set(waiting.key, left);
    waiting.start();
  }
}
