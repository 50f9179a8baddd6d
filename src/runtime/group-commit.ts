import { context, type Context } from '@opentelemetry/api';
import type { Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import type { Fence, Fences } from './ownership.ts';
import { StepResults } from './step-results.ts';

type Tx = Kysely<Database>;

/** Work on one partition's actors, run inside a transaction fenced on that partition. */
export type PartitionWork<T> = (tx: Tx, fence: Fence, results: StepResults) => Promise<T>;

export interface GroupCommitOptions {
  /** Work items committed in one transaction at most. */
  maxBatch: number;
  /** Transactions at once (below the connection pool's size, so that reads always find a connection). */
  maxConcurrent: number;
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
  /** The actor key the item may open (a customer message's conversation key). */
  opens: string | undefined;
  /** The trace context of the caller: a batch holds several callers' work, each traced in its own. */
  trace: Context;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/**
 * The two lanes of a partition: `first` holds the first messages of actor keys this node
 * has not seen (a new customer), `backlog` everything else (follow-ups, actor events).
 */
interface Lanes {
  first: Pending[];
  backlog: Pending[];
}

/** Actor keys remembered as seen, at most (beyond, the memory starts afresh: a few follow-ups then count as first messages). */
const REMEMBERED_KEYS = 100_000;

/** Where a work item goes in its partition. */
export interface RunOptions {
  /**
   * The key of the actor this work may open (a customer message's conversation key). The
   * first work for a key this node has not seen goes in the partition's `first` lane, so
   * that a new customer does not wait behind a backlog of follow-ups; later work for the
   * key follows it there while it waits, which keeps the key's order.
   */
  opens?: string;
}

/**
 * Group commit for everything that writes actors — customer messages and actor events
 * alike. Work that arrives while transactions are committing is taken together into the
 * next one (up to `maxBatch`), so the begin, the commit (one WAL flush) and the round
 * trips between cover many steps under load, and nothing waits for a batch to fill when
 * traffic is light. A work item's promise settles after its transaction committed, and
 * its results are run then.
 *
 * A partition is in one transaction at a time and each of its lanes runs in the order it
 * arrived: that serializes each actor's events, and no two transactions of this node ever
 * wait on each other's actor rows (which could deadlock two batches). One transaction may
 * hold several partitions' work; it is fenced on each. At most `maxConcurrent`
 * transactions run at once.
 *
 * No waiting behind a burst: a partition's work is in two lanes, first messages of new
 * actor keys and the backlog. A batch takes partitions alternately from those with first
 * messages waiting and from all those with work (oldest turn first), and a partition's
 * items alternately from its two lanes. A new customer's message so goes into the next
 * transaction that starts, whatever the backlog of follow-ups and events.
 *
 * A failing item fails its whole transaction; each item of that batch is then retried
 * alone, so that it fails alone and the others go through. Failures are rare (a race
 * lost, a partition moving), so this is cheaper than a savepoint around every item (two
 * more round trips each).
 */
export class GroupCommit {
  private readonly queues = new Map<number, Lanes>();
  /** Partitions not in a transaction with work waiting, in the order of their turn (a Set keeps insertion order). */
  private readonly ready = new Set<number>();
  /** Those of `ready` with first messages waiting. */
  private readonly readyFirst = new Set<number>();
  /** Partitions in a transaction now. */
  private readonly busy = new Set<number>();
  /** Actor keys with work waiting in a `first` lane, and in a `backlog` lane, and how many items. */
  private readonly waitingFirst = new Map<string, number>();
  private readonly waitingBacklog = new Map<string, number>();
  /** Actor keys seen: their next work is backlog. */
  private readonly seen = new Set<string>();
  /** Whose turn it is when a batch picks its next partition. */
  private firstTurn = true;
  private transactions = 0;
  private queued = 0;

  constructor(
    private readonly transaction: <T>(partitions: readonly number[], body: (tx: Tx, fences: Fences) => Promise<T>) => Promise<T>,
    private readonly afterCommit: (results: StepResults) => void,
    private readonly options: GroupCommitOptions,
  ) {}

  /** Work items waiting for their transaction. */
  get backlog(): number {
    return this.queued;
  }

  run<T>(partition: number, work: PartitionWork<T>, options: RunOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let lanes = this.queues.get(partition);
      if (!lanes) this.queues.set(partition, (lanes = { first: [], backlog: [] }));
      const { opens } = options;
      const item: Pending = { partition, work, opens, trace: context.active(), resolve, reject };
      // A key with work in the backlog stays there (the memory of keys seen may have been cleared meanwhile).
      if (opens !== undefined && (this.waitingFirst.has(opens) || (!this.seen.has(opens) && !this.waitingBacklog.has(opens)))) {
        lanes.first.push(item);
        count(this.waitingFirst, opens, 1);
        if (this.seen.size >= REMEMBERED_KEYS) this.seen.clear();
        this.seen.add(opens);
      } else {
        lanes.backlog.push(item);
        if (opens !== undefined) count(this.waitingBacklog, opens, 1);
      }
      this.queued++;
      // A partition in a transaction now gets its turn again after it.
      if (!this.busy.has(partition)) this.markReady(partition, lanes);
      this.pump();
    });
  }

  private markReady(partition: number, lanes: Lanes): void {
    this.ready.add(partition);
    if (lanes.first.length > 0) this.readyFirst.add(partition);
  }

  /** Starts transactions while there is room, each taking waiting partitions' work, new customers and backlog in turn. */
  private pump(): void {
    while (this.transactions < this.options.maxConcurrent && this.ready.size > 0) {
      const batch: Pending[] = [];
      const partitions: number[] = [];
      while (this.ready.size > 0 && batch.length < this.options.maxBatch) {
        const from = this.firstTurn && this.readyFirst.size > 0 ? this.readyFirst : this.ready;
        this.firstTurn = !this.firstTurn;
        const partition = from.values().next().value as number;
        this.ready.delete(partition);
        this.readyFirst.delete(partition);
        const lanes = this.queues.get(partition) as Lanes;
        this.take(lanes, this.options.maxBatch - batch.length, batch);
        if (lanes.first.length === 0 && lanes.backlog.length === 0) this.queues.delete(partition);
        this.busy.add(partition);
        partitions.push(partition);
      }
      this.transactions++;
      void this.commitBatch(partitions, batch).finally(() => {
        this.transactions--;
        for (const partition of partitions) {
          this.busy.delete(partition);
          const lanes = this.queues.get(partition);
          if (lanes) this.markReady(partition, lanes);
        }
        this.pump();
      });
    }
  }

  /** Takes up to `room` items of a partition into `batch`, alternately from its lanes (each in order). */
  private take(lanes: Lanes, room: number, batch: Pending[]): void {
    let fromFirst = true;
    for (let n = 0; n < room && (lanes.first.length > 0 || lanes.backlog.length > 0); n++) {
      const lane = (fromFirst && lanes.first.length > 0) || lanes.backlog.length === 0 ? lanes.first : lanes.backlog;
      fromFirst = !fromFirst;
      const item = lane.shift() as Pending;
      if (item.opens !== undefined) count(lane === lanes.first ? this.waitingFirst : this.waitingBacklog, item.opens, -1);
      batch.push(item);
      this.queued--;
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

function count(counts: Map<string, number>, key: string, by: 1 | -1): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n === 0) counts.delete(key);
  else counts.set(key, n);
}
