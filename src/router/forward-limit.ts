/**
 * At most `limit` tasks at once; the others start in the order they came. First in,
 * first started: messages of one key handed to it keep their order.
 */
export class ForwardLimit {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    // A slot freed goes straight to the oldest waiting task, so none can overtake it.
    if (this.running < this.limit) this.running++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
