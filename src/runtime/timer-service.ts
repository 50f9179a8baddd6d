import type { Kysely } from 'kysely';
import type { Database, TimerRow } from '../store/index.ts';
import { dueTimers, nextTimerDue } from '../store/index.ts';
import type { ActorEvent } from './actor-kind.ts';
import type { SendToActor } from './partition-mailbox.ts';

export interface TimerServiceOptions {
  /** The longest the service sleeps before looking at the table again. */
  maxSleepMs: number;
  onError?(err: unknown): void;
}

/**
 * Fires durable timers of the partitions this node owns: it sleeps until the earliest timer in the store is due (or a
 * newly armed one is earlier), then brings each due timer back to its actor as an event.
 * The actor's transaction consumes the timer row, so a timer fires at most once even if
 * two passes overlap, and at least once across crashes.
 */
export class TimerService {
  private handle: NodeJS.Timeout | undefined;
  private wakeAt = Infinity;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly maxSleepMs: number;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly send: SendToActor,
    /** The partitions whose timers this node fires (those it owns). */
    private readonly partitions: () => number[],
    private readonly options: TimerServiceOptions,
  ) {
    this.maxSleepMs = options.maxSleepMs;
  }

  start(): void {
    this.sleepUntil(Date.now());
  }

  /** A timer was armed: wake earlier if it is due before the planned wake-up. */
  armed(dueAt: Date): void {
    if (dueAt.getTime() < this.wakeAt) this.sleepUntil(dueAt.getTime());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.handle);
    await this.running;
  }

  private sleepUntil(at: number): void {
    if (this.stopped) return;
    clearTimeout(this.handle);
    this.wakeAt = at;
    this.handle = setTimeout(() => void this.tick(), Math.max(0, Math.min(at - Date.now(), this.maxSleepMs)));
  }

  private async tick(): Promise<void> {
    if (this.running) return void (await this.running);
    this.running = (async () => {
      try {
        for (;;) {
          const due = await dueTimers(this.db, new Date(), 100, this.partitions());
          await Promise.all(due.map((t) => this.fire(t)));
          if (due.length < 100) break;
        }
      } catch (err) {
        this.options.onError?.(err);
      }
    })();
    await this.running;
    this.running = undefined;
    let next: Date | undefined;
    try {
      next = await nextTimerDue(this.db, this.partitions());
    } catch (err) {
      this.options.onError?.(err);
    }
    this.sleepUntil(next ? next.getTime() : Date.now() + this.maxSleepMs);
  }

  private async fire(timer: TimerRow): Promise<void> {
    // The event its actor armed (a `timer.arm` effect), back to that actor.
    const target = { kind: timer.actor_kind, tenant: timer.tenant, id: timer.actor_id, event: timer.event as ActorEvent };
    try {
      await this.send(target, { timerId: timer.id });
    } catch (err) {
      this.options.onError?.(err);
    }
  }
}
