import { ParleyError, type InboundMessage } from '../contract/index.ts';
import type { ConfigRegistry } from '../config/index.ts';
import { StepResults, type ActorHost } from '../actor/index.ts';
import { receiveMessage } from './receive-message.ts';

export type ReceiveOutcome = 'stored' | 'duplicate';

export interface InboundBatcherOptions {
  /** Messages committed in one transaction at most. @default 100 */
  maxBatch?: number;
  /**
   * Messages waiting for the database at most (all partitions); more are refused as
   * `unavailable` and stay in JetStream to be redelivered. @default 5000
   */
  maxQueued?: number;
  /**
   * Inbound transactions at once (all partitions). Below the connection pool's size, so
   * that agents' commands and actor events never queue behind a burst of customer
   * messages; messages arriving meanwhile make the next batches larger. @default 4
   */
  maxConcurrent?: number;
  /** A batch committed: its size and how long it took (for metrics). */
  committed?(size: number, seconds: number): void;
}

interface Pending {
  envelope: InboundMessage;
  resolve(outcome: ReceiveOutcome): void;
  reject(err: unknown): void;
}

/**
 * Group commit for customer messages: messages of one partition that arrive while its
 * previous transaction is committing are taken together in the next one, so one commit
 * (one fsync) covers many messages and nothing waits for a batch to fill. A message that
 * fails is reported alone (see `commitBatch`). A message's promise settles after its
 * transaction committed, so the JetStream ack comes after the commit.
 *
 * At most `maxConcurrent` transactions run at once; partitions with messages take turns
 * (first come, first served), each turn taking what its partition has gathered.
 */
export class InboundBatcher {
  private readonly queues = new Map<number, Pending[]>();
  /** Partitions with messages, waiting for a turn. */
  private readonly ready: number[] = [];
  /** Partitions whose transaction runs now. */
  private readonly running = new Set<number>();
  private queued = 0;
  private readonly maxBatch: number;
  private readonly maxQueued: number;
  private readonly maxConcurrent: number;

  constructor(
    private readonly host: ActorHost,
    private readonly config: ConfigRegistry,
    private readonly options: InboundBatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 100;
    this.maxQueued = options.maxQueued ?? 5_000;
    this.maxConcurrent = options.maxConcurrent ?? 4;
  }

  /** Messages waiting for their transaction. */
  get backlog(): number {
    return this.queued;
  }

  submit(partition: number, envelope: InboundMessage): Promise<ReceiveOutcome> {
    if (this.queued >= this.maxQueued) {
      return Promise.reject(new ParleyError('unavailable', `${this.queued} messages already wait for the database`));
    }
    return new Promise<ReceiveOutcome>((resolve, reject) => {
      let queue = this.queues.get(partition);
      if (!queue) {
        this.queues.set(partition, (queue = []));
        // A partition whose transaction runs now comes back in turn after it.
        if (!this.running.has(partition)) this.ready.push(partition);
      }
      queue.push({ envelope, resolve, reject });
      this.queued++;
      this.pump();
    });
  }

  /** Starts turns while there is room. */
  private pump(): void {
    while (this.running.size < this.maxConcurrent && this.ready.length > 0) {
      const partition = this.ready.shift() as number;
      const queue = this.queues.get(partition) ?? [];
      const batch = queue.splice(0, this.maxBatch);
      if (queue.length === 0) this.queues.delete(partition);
      this.queued -= batch.length;
      this.running.add(partition);
      void this.commitBatch(partition, batch).finally(() => {
        this.running.delete(partition);
        if (this.queues.has(partition)) this.ready.push(partition);
        this.pump();
      });
    }
  }

  /**
   * One transaction for the batch. A message that fails fails it, and then each message
   * of the batch is retried alone, so that it is reported alone and the others go
   * through: failures are rare (a race lost, a partition moving), so this is cheaper than
   * a savepoint around every message (two more round trips each).
   */
  private async commitBatch(partition: number, batch: Pending[]): Promise<void> {
    const started = performance.now();
    const results = new StepResults();
    const outcomes: ReceiveOutcome[] = [];
    try {
      await this.host.transactionOn(partition, async (tx, fence) => {
        for (const item of batch) outcomes.push(await receiveMessage(tx, this.host, this.config, fence, item.envelope, results));
      });
    } catch (err) {
      if (batch.length === 1) (batch[0] as Pending).reject(err);
      else for (const item of batch) await this.commitBatch(partition, [item]);
      return;
    }
    this.host.commit(results);
    this.options.committed?.(batch.length, (performance.now() - started) / 1000);
    batch.forEach((item, i) => item.resolve(outcomes[i] as ReceiveOutcome));
  }
}
