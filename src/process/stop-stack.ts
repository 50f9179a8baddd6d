import type { Logger } from '../observability/index.ts';

/**
 * What a process has started, stopped in reverse order. A signal that comes while the
 * process is still starting waits for the start to finish (`started()`), so that what
 * is half-started is stopped too rather than cut off; a start that fails exits anyway.
 */
export class StopStack {
  private readonly stops: { what: string; stop: () => Promise<void> | void }[] = [];
  private markStarted!: () => void;
  private readonly ready = new Promise<void>((resolve) => (this.markStarted = resolve));

  constructor(private readonly log: Logger) {}

  /** Registers how to stop something just started. */
  push(what: string, stop: () => Promise<void> | void): void {
    this.stops.push({ what, stop });
  }

  /** The start is complete: a pending or later shutdown may proceed. */
  started(): void {
    this.markStarted();
  }

  /** Stops everything, last started first; one that fails is logged and the others still stop. */
  async stop(): Promise<void> {
    await this.ready;
    for (const { what, stop } of this.stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        this.log.warn('could not stop cleanly', { what, err });
      }
    }
  }
}
