import { sql } from 'kysely';
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
 * (one fsync) covers many messages and nothing waits for a batch to fill. Each message
 * runs under its own savepoint: one that fails is rolled back and reported alone. A
 * message's promise settles after its transaction committed, so the JetStream ack comes
 * after the commit.
 */
export class InboundBatcher {
  private readonly queues = new Map<number, Pending[]>();
  private readonly draining = new Set<number>();
  private queued = 0;
  private readonly maxBatch: number;
  private readonly maxQueued: number;

  constructor(
    private readonly host: ActorHost,
    private readonly config: ConfigRegistry,
    private readonly options: InboundBatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 100;
    this.maxQueued = options.maxQueued ?? 5_000;
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
      if (!queue) this.queues.set(partition, (queue = []));
      queue.push({ envelope, resolve, reject });
      this.queued++;
      if (!this.draining.has(partition)) void this.drain(partition);
    });
  }

  private async drain(partition: number): Promise<void> {
    this.draining.add(partition);
    try {
      for (let queue = this.queues.get(partition); queue && queue.length > 0; queue = this.queues.get(partition)) {
        const batch = queue.splice(0, this.maxBatch);
        this.queued -= batch.length;
        await this.commitBatch(partition, batch);
      }
    } finally {
      this.queues.delete(partition);
      this.draining.delete(partition);
    }
  }

  private async commitBatch(partition: number, batch: Pending[]): Promise<void> {
    const started = performance.now();
    const results = new StepResults();
    const outcomes: (ReceiveOutcome | { error: unknown })[] = [];
    try {
      await this.host.transactionOn(partition, async (tx) => {
        for (const item of batch) {
          const mark = { outbox: results.outboxRows.length, after: results.after.length };
          await sql`savepoint inbound`.execute(tx);
          try {
            outcomes.push(await receiveMessage(tx, this.host, this.config, partition, item.envelope, results));
            await sql`release savepoint inbound`.execute(tx);
          } catch (error) {
            await sql`rollback to savepoint inbound`.execute(tx);
            // The rolled-back message's effects never happened.
            results.outboxRows.length = mark.outbox;
            results.after.length = mark.after;
            outcomes.push({ error });
          }
        }
      });
    } catch (err) {
      for (const item of batch) item.reject(err);
      return;
    }
    this.host.commit(results);
    this.options.committed?.(batch.length, (performance.now() - started) / 1000);
    batch.forEach((item, i) => {
      const outcome = outcomes[i] as ReceiveOutcome | { error: unknown };
      if (typeof outcome === 'string') item.resolve(outcome);
      else item.reject(outcome.error);
    });
  }
}
