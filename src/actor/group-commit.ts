import { context, type Context } from '@opentelemetry/api';
import type { Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import type { Fence, Fences } from '../cluster/ownership.ts';
import { StepResults } from './step-results.ts';

type Tx = Kysely<Database>;

/** Work on one partition's actors, run inside a transaction fenced on that partition. */
export type PartitionWork<T> = (tx: Tx, fence: Fence, results: StepResults) => Promise<T>;

export interface GroupCommitOptions {
  /** Work items committed in one transaction at most. @default 100 */
  maxBatch?: number;
  /**
   * Transactions at once. Below the connection pool's size, so that reads (schedulers'
   * rebuilds, receipts, the sweeps) always find a connection; work arriving meanwhile
   * makes the next batches larger. @default 6
   */
  maxConcurrent?: number;
  /** A batch committed: its size and how long it took (for metrics). */
  committed?(size: number, seconds: number): void;
  /**
   * The after-commit work of an item failed (say NATS was unreachable for a publish). The
   * item still succeeded: its durable effects are committed, and the outbox sweep retries
   * what was not delivered.
   */
  onError?(err: unknown): void;
}

interface Pending {
  partition: number;
  work: PartitionWork<unknown>;
  /** The trace context of the caller: a batch holds several callers' work, each traced in its own. */
  trace: Context;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/**
 * Group commit for everything that writes actors — customer messages and actor events
 * alike. Work that arrives while transactions are committing is taken together into the
 * next one (up to `maxBatch`), so the begin, the commit (one WAL flush) and the round
 * trips between cover many steps under load, and nothing waits for a batch to fill when
 * traffic is light. A work item's promise settles after its transaction committed, and
 * its results are run then.
 *
 * A partition is in one transaction at a time and its work runs in the order it arrived:
 * that serializes each actor's events, and no two transactions of this node ever wait on
 * each other's actor rows (which could deadlock two batches). One transaction may hold
 * several partitions' work; it is fenced on each. At most `maxConcurrent` transactions
 * run at once; partitions waiting take turns, first come, first served.
 *
 * A failing item fails its whole transaction; each item of that batch is then retried
 * alone, so that it fails alone and the others go through. Failures are rare (a race
 * lost, a partition moving), so this is cheaper than a savepoint around every item (two
 * more round trips each).
 */
export class GroupCommit {
  private readonly queues = new Map<number, Pending[]>();
  /** Partitions with work, waiting for a turn. */
  private readonly ready: number[] = [];
  /** Partitions in a transaction now. */
  private readonly busy = new Set<number>();
  private transactions = 0;
  private queued = 0;
  private readonly maxBatch: number;
  private readonly maxConcurrent: number;

  constructor(
    private readonly transaction: <T>(partitions: readonly number[], body: (tx: Tx, fences: Fences) => Promise<T>) => Promise<T>,
    private readonly afterCommit: (results: StepResults) => void,
    private readonly options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 100;
    this.maxConcurrent = options.maxConcurrent ?? 6;
  }

  /** Work items waiting for their transaction. */
  get backlog(): number {
    return this.queued;
  }

  run<T>(partition: number, work: PartitionWork<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let queue = this.queues.get(partition);
      if (!queue) {
        this.queues.set(partition, (queue = []));
        // A partition in a transaction now gets its turn again after it.
        if (!this.busy.has(partition)) this.ready.push(partition);
      }
      queue.push({ partition, work, trace: context.active(), resolve: resolve, reject });
      this.queued++;
      this.pump();
    });
  }

  /** Starts transactions while there is room, each taking the waiting partitions' work in turn. */
  private pump(): void {
    while (this.transactions < this.maxConcurrent && this.ready.length > 0) {
      const batch: Pending[] = [];
      const partitions: number[] = [];
      while (this.ready.length > 0 && batch.length < this.maxBatch) {
        const partition = this.ready.shift() as number;
        const queue = this.queues.get(partition) ?? [];
        batch.push(...queue.splice(0, this.maxBatch - batch.length));
        if (queue.length === 0) this.queues.delete(partition);
        this.busy.add(partition);
        partitions.push(partition);
      }
      this.queued -= batch.length;
      this.transactions++;
      void this.commitBatch(partitions, batch).finally(() => {
        this.transactions--;
        for (const partition of partitions) {
          this.busy.delete(partition);
          if (this.queues.has(partition)) this.ready.push(partition);
        }
        this.pump();
      });
    }
  }

  private async commitBatch(partitions: readonly number[], batch: Pending[]): Promise<void> {
    const started = performance.now();
    const results = batch.map(() => new StepResults());
    const values: unknown[] = [];
    try {
      await this.transaction(partitions, async (tx, fences) => {
        for (const [i, item] of batch.entries()) values.push(await context.with(item.trace, () => item.work(tx, fences.get(item.partition), results[i] as StepResults)));
      });
    } catch (err) {
      if (batch.length === 1) (batch[0] as Pending).reject(err);
      else for (const item of batch) await this.commitBatch([item.partition], [item]);
      return;
    }
    this.options.committed?.(batch.length, (performance.now() - started) / 1000);
    batch.forEach((item, i) => {
      try {
        context.with(item.trace, () => this.afterCommit(results[i] as StepResults));
      } catch (err) {
        this.options.onError?.(err);
      }
      item.resolve(values[i]);
    });
  }
}
