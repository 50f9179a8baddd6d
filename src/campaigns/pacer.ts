/**
 * A token bucket for messages per minute: tokens accrue continuously at the rate, up to
 * a burst of one second's worth, so a campaign never sends faster than its pacing over
 * any window of a second or more — whatever a batch takes to write and publish.
 * Monotonic time (`performance.now`), not the wall clock.
 */
export class Pacer {
  private tokens: number;
  private last: number;
  private readonly perMs: number;
  private readonly burst: number;

  constructor(
    messagesPerMinute: number,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.perMs = messagesPerMinute / 60_000;
    this.burst = Math.max(1, this.perMs * 1_000);
    this.tokens = 1;
    this.last = clock();
  }

  /** Whole messages that may go now. */
  available(): number {
    const now = this.clock();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
    return Math.floor(this.tokens);
  }

  /** Spends `n` tokens (messages actually sent). */
  spend(n: number): void {
    this.tokens -= n;
  }

  /** Milliseconds until one more message may go. */
  waitMs(): number {
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.perMs);
  }
}
