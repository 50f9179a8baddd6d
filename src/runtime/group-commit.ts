import { context, type Context } from '@opentelemetry/api';
import type { Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import type { Fence, Fences } from './ownership.ts';
import { FirstOrBacklog } from './first-or-backlog.ts';
import { StepResults } from './step-results.ts';

type Tx = Kysely<Database>;

/** Work on one partition's actors, run inside a transaction fenced on that partition. */
export type PartitionWork<T> = (tx: Tx, fence: Fence, results: StepResults) => Promise<T>;

/** Work of a batch that can be read for in one go before it runs (see `RunOptions.activation`). */
export interface BatchActivation {
  partition: number;
  activation: unknown;
}

/** Runs once per transaction before its work, with the activations of the work in it, in order. */
export type PrepareBatch = (tx: Tx, fences: Fences, activations: readonly BatchActivation[]) => Promise<void>;

export interface GroupCommitOptions {
  /** Work items committed in one transaction at most. */
  maxBatch: number;
  /**
   * Transactions at once, besides the one kept for events alone (below the connection
   * pool's size less one, so that reads always find a connection).
   */
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

/**
 * Partitions a bulk transaction takes at most. It holds each until it commits, and the
 * work of a partition held waits for that, save the events kept apart (`RunOptions.apart`).
 * At the start of a burst every partition has a few messages, and a bulk of 100 took 30
 * of 64 partitions, when agents' events were not apart yet: the two bulk transactions
 * together held nearly every agent's. With 8, a bulk takes more of each partition's
 * messages, or fewer messages.
 */
export const BULK_PARTITIONS = 8;

interface Pending {
  partition: number;
  work: PartitionWork<unknown>;
  /** The actor key the item may open (a customer message's conversation key). */
  opens: string | undefined;
  /** An event kept apart from the partition's other work (`RunOptions.apart`). */
  apart: boolean;
  activation: unknown;
  /** The trace context of the caller: a batch holds several callers' work, each traced in its own. */
  trace: Context;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/**
 * The lanes of a partition, each in arrival order: `events` holds the work of actors
 * already active (events between actors, offers and accepts, agent commands, timers),
 * `first` the first messages of actor keys this node has not seen (a new customer), and
 * `backlog` the later messages of keys seen (follow-ups). `apart` holds the events kept
 * apart from those three (`RunOptions.apart`): a transaction may take them while another
 * holds the partition's other lanes.
 */
interface Lanes {
  events: Pending[];
  first: Pending[];
  backlog: Pending[];
  apart: Pending[];
}

const emptyLanes = (lanes: Lanes) => lanes.events.length === 0 && lanes.first.length === 0 && lanes.backlog.length === 0 && lanes.apart.length === 0;

/** Whether a partition has work a bulk transaction takes (all but its `apart` lane). */
const hasBulkWork = (lanes: Lanes) => lanes.events.length > 0 || lanes.first.length > 0 || lanes.backlog.length > 0;

/** Where a work item goes in its partition. */
export interface RunOptions {
  /**
   * The key of the actor this work may open (a customer message's conversation key). The
   * first work for a key this node has not seen goes in the partition's `first` lane, so
   * that a new customer does not wait behind a backlog of follow-ups; later work for the
   * key follows it there while it waits, which keeps the key's order. Work without a key
   * is an active actor's event and goes in the `events` lane.
   */
  opens?: string;
  /**
   * What the work activates, for the transaction's `prepare` (which may read for all the
   * batch's activations in one statement, where each work would read for itself).
   */
  activation?: unknown;
  /**
   * An event of an actor kept apart from the partition's other work (an agent's, see
   * `ActorKind.apart`): it waits only for the transaction that holds the partition's
   * other events kept apart, not for one that holds its customer messages and other
   * events, and bulk transactions never take it, so it never waits for one. Such events
   * keep their order among themselves.
   */
  apart?: boolean;
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
 * arrived: that serializes each actor's events and each customer's messages, and no two
 * transactions of this node ever wait on each other's actor rows (which could deadlock
 * two batches). The one exception is the events kept apart (an agent's, `RunOptions.apart`):
 * their lane is held by one transaction at a time of its own, which may run beside the
 * one holding the partition's other lanes; their steps write rows the others do not. One
 * transaction may hold several partitions' work; it is fenced on each. At most
 * `maxConcurrent` transactions run at once, and one more of events alone (below).
 *
 * No waiting behind a burst. Transactions are of two sorts:
 * - an express transaction is short and takes only what must not wait: every event
 *   waiting (work in progress: an offer, an accept, a timer), then new customers' first
 *   messages up to a tenth of `maxBatch`, partitions in the order they became waiting.
 * - a bulk transaction takes partitions in their turn (oldest first), a quarter of
 *   `maxBatch` of each at a time (events first, then new customers and follow-ups
 *   alternately; never the events kept apart), up to `maxBatch` and `BULK_PARTITIONS`
 *   partitions: a batch follows roughly the order work arrived in, across partitions,
 *   even when the router holds far more than a batch.
 * Bulk transactions leave one of the `maxConcurrent` slots to express ones, so a new
 * customer or an offer never waits for a slot behind long batches of backlog, and its
 * own transaction commits fast. Events start an express transaction whenever a slot is
 * free (there are only as many as the work admitted makes); otherwise express and bulk
 * take turns, so a stream of new customers cannot starve the follow-ups. When every slot
 * is taken, events still start at once: one more transaction, never two, takes the
 * events waiting and nothing else. An offer made at the start of a burst otherwise waited
 * for one of the slots, all held by transactions of new customers and follow-ups that
 * each take a hundred milliseconds or more there. Reordering
 * between lanes is between different senders (a customer's message, an agent's command),
 * whose order the router never knew; within a lane, and for each key across lanes, the
 * order is kept.
 *
 * A failing item fails its whole transaction; each item of that batch is then retried
 * alone, so that it fails alone and the others go through. Failures are rare (a race
 * lost, a partition moving), so this is cheaper than a savepoint around every item (two
 * more round trips each).
 */
export class GroupCommit {
  private readonly queues = new Map<number, Lanes>();
  /** Partitions with work waiting, busy or not, in the order of their bulk turn (a Set keeps insertion order). */
  private readonly turns = new Set<number>();
  /**
   * Partitions with events a transaction may take now (`events` while not `busy`, `apart`
   * while not `busyApart`), and those not `busy` with `first` work waiting, each in the
   * order of their express turn.
   */
  private readonly withEvents = new Set<number>();
  private readonly withFirst = new Set<number>();
  /** Partitions whose `events`, `first` and `backlog` lanes are in a transaction now. */
  private readonly busy = new Set<number>();
  /** Partitions whose `apart` lane is in a transaction now. */
  private readonly busyApart = new Set<number>();
  /** Which of a partition's `first` and `backlog` lanes the work of an actor key goes in. */
  private readonly keyLanes = new FirstOrBacklog();
  /** Whose turn it is when both sorts of transaction could start. */
  private expressTurn = true;
  private transactions = 0;
  private bulkTransactions = 0;
  /** The transaction of events alone that runs while every slot is taken (0 or 1). */
  private eventsAloneTransactions = 0;
  /** New customers an express transaction takes at most: it stays short, so its slot turns over fast. */
  private readonly expressBatch: number;
  /** Items a bulk transaction takes of one partition per pass. */
  private readonly bulkShare: number;
  private queued = 0;

  constructor(
    private readonly transaction: <T>(partitions: readonly number[], body: (tx: Tx, fences: Fences) => Promise<T>) => Promise<T>,
    private readonly afterCommit: (results: StepResults) => void,
    private readonly options: GroupCommitOptions,
    private readonly prepare?: PrepareBatch,
  ) {
    this.expressBatch = Math.max(1, Math.ceil(options.maxBatch / 10));
    this.bulkShare = Math.max(1, Math.ceil(options.maxBatch / 4));
  }

  /** Work items waiting for their transaction. */
  get backlog(): number {
    return this.queued;
  }

  /**
   * Express transactions running now in the `maxConcurrent` slots: work someone waits on
   * (a new customer, an offer). The transaction of events alone is not counted: the
   * router slows its read-ahead while this is above 0, and doing so for that transaction
   * too made new customers reach the group commit later under a burst (new customer
   * behind the follow-ups 402–469 ms p50 against 245–436 ms, four runs each).
   */
  get expressRunning(): number {
    return this.transactions - this.bulkTransactions - this.eventsAloneTransactions;
  }

  run<T>(partition: number, work: PartitionWork<T>, options: RunOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let lanes = this.queues.get(partition);
      if (!lanes) this.queues.set(partition, (lanes = { events: [], first: [], backlog: [], apart: [] }));
      const { opens, activation } = options;
      const apart = opens === undefined && options.apart === true;
      const item: Pending = { partition, work, opens, apart, activation, trace: context.active(), resolve, reject };
      if (apart) lanes.apart.push(item);
      else if (opens === undefined) lanes.events.push(item);
      else lanes[this.keyLanes.enter(opens)].push(item);
      this.queued++;
      if (!apart) this.turns.add(partition);
      // A partition in a transaction now gets its express turn again after it.
      this.markExpress(partition, lanes);
      this.pump();
    });
  }

  /** Starts transactions while there is room: express and bulk in turn, bulk leaving one slot to express; events alone when every slot is taken. */
  private pump(): void {
    const { maxConcurrent } = this.options;
    for (;;) {
      const slotFree = this.transactions - this.eventsAloneTransactions < maxConcurrent;
      const eventsAlone = !slotFree && this.eventsAloneTransactions === 0 && this.withEvents.size > 0;
      if (!slotFree && !eventsAlone) return;
      const bulkPartition = eventsAlone ? undefined : this.nextBulk();
      const canBulk = bulkPartition !== undefined && (this.bulkTransactions < maxConcurrent - 1 || maxConcurrent === 1);
      const canExpress = this.withEvents.size > 0 || this.withFirst.size > 0;
      if (!canBulk && !canExpress) return;
      // Events are never kept waiting (there are only as many as the work admitted makes);
      // new customers and the bulk of follow-ups take turns.
      const express = this.withEvents.size > 0 || (canExpress && (!canBulk || this.expressTurn));
      if (canBulk && canExpress && this.withEvents.size === 0) this.expressTurn = !this.expressTurn;
      const batch: Pending[] = [];
      /** The partitions of the batch, each fenced (what of each it holds follows from its items, `takeOne`). */
      const partitions: number[] = [];
      const take = (partition: number, takeFrom: (lanes: Lanes) => void) => {
        const lanes = this.queues.get(partition) as Lanes;
        takeFrom(lanes);
        if (!partitions.includes(partition)) partitions.push(partition);
        this.withEvents.delete(partition);
        this.withFirst.delete(partition);
        if (emptyLanes(lanes)) this.queues.delete(partition);
        if (!hasBulkWork(lanes)) this.turns.delete(partition);
        // What is left of it that another transaction may take now (its `apart` lane while this one holds only the others).
        this.markExpress(partition, lanes);
      };
      if (express) {
        // Work in progress first (an offer, an accept: it finishes what was started), all of
        // it; then new customers while the transaction is short.
        while (batch.length < this.options.maxBatch) {
          const from = this.withEvents.size > 0 ? this.withEvents : batch.length < this.expressBatch && !eventsAlone ? this.withFirst : undefined;
          if (!from || from.size === 0) break;
          const partition = from.values().next().value as number;
          take(partition, (lanes) => this.takeExpress(partition, lanes, batch, eventsAlone));
        }
      } else {
        // A share of each partition in its turn, so that a batch follows the order work
        // arrived in across partitions (a read-ahead holds far more than one batch); room
        // left is filled by the partitions already in the batch, share by share.
        for (let p = bulkPartition; p !== undefined && batch.length < this.options.maxBatch && partitions.length < BULK_PARTITIONS; p = this.nextBulk()) {
          // Its bulk turn is spent: the next one is at the back.
          this.turns.delete(p);
          take(p, (lanes) => this.takeAll(lanes, batch));
          if (this.queues.has(p) && hasBulkWork(this.queues.get(p) as Lanes)) this.turns.add(p);
        }
        for (let more = true; more && batch.length < this.options.maxBatch; ) {
          more = false;
          for (const p of partitions) {
            const lanes = this.queues.get(p);
            if (!lanes || !hasBulkWork(lanes) || batch.length >= this.options.maxBatch) continue;
            take(p, (l) => this.takeAll(l, batch));
            more = true;
          }
        }
      }
      this.transactions++;
      if (!express) this.bulkTransactions++;
      if (eventsAlone) this.eventsAloneTransactions++;
      void this.commitBatch(partitions, batch).finally(() => {
        this.transactions--;
        if (!express) this.bulkTransactions--;
        if (eventsAlone) this.eventsAloneTransactions--;
        for (const item of batch) (item.apart ? this.busyApart : this.busy).delete(item.partition);
        for (const partition of partitions) {
          const lanes = this.queues.get(partition);
          if (lanes) this.markExpress(partition, lanes);
        }
        this.pump();
      });
    }
  }

  /** Gives the partition its express turn for what a transaction may take of it now. */
  private markExpress(partition: number, lanes: Lanes): void {
    const free = !this.busy.has(partition);
    if ((free && lanes.events.length > 0) || (lanes.apart.length > 0 && !this.busyApart.has(partition))) this.withEvents.add(partition);
    if (free && lanes.first.length > 0) this.withFirst.add(partition);
  }

  /** The first partition in its bulk turn that is not in a transaction. */
  private nextBulk(): number | undefined {
    for (const partition of this.turns) if (!this.busy.has(partition)) return partition;
    return undefined;
  }

  /**
   * A partition's events (while the batch has room): those kept apart unless another
   * transaction holds them, the others unless another transaction holds the partition;
   * then, unless the batch is of events alone, its `first` lane while the batch is short.
   */
  private takeExpress(partition: number, lanes: Lanes, batch: Pending[], eventsAlone: boolean): void {
    // Checked before taking anything: what this transaction takes, it holds (`takeOne`).
    const apartFree = !this.busyApart.has(partition);
    const othersFree = !this.busy.has(partition);
    while (apartFree && lanes.apart.length > 0 && batch.length < this.options.maxBatch) this.takeOne(lanes, lanes.apart, batch);
    if (!othersFree) return;
    while (lanes.events.length > 0 && batch.length < this.options.maxBatch) this.takeOne(lanes, lanes.events, batch);
    while (!eventsAlone && lanes.first.length > 0 && batch.length < this.expressBatch) this.takeOne(lanes, lanes.first, batch);
  }

  /** A share of a partition's items (while the batch has room): its events, then its two lanes of customer messages alternately (each in order); never those kept apart. */
  private takeAll(lanes: Lanes, batch: Pending[]): void {
    let fromFirst = true;
    const until = Math.min(this.options.maxBatch, batch.length + this.bulkShare);
    while (batch.length < until && hasBulkWork(lanes)) {
      if (lanes.events.length > 0) {
        this.takeOne(lanes, lanes.events, batch);
        continue;
      }
      const lane = (fromFirst && lanes.first.length > 0) || lanes.backlog.length === 0 ? lanes.first : lanes.backlog;
      fromFirst = !fromFirst;
      this.takeOne(lanes, lane, batch);
    }
  }

  /** Takes a lane's next item into the batch; the transaction then holds that lane's side of the partition (its `apart` lane, or the others) until it ends. */
  private takeOne(lanes: Lanes, lane: Pending[], batch: Pending[]): void {
    const item = lane.shift() as Pending;
    if (item.opens !== undefined) this.keyLanes.leave(item.opens, lane === lanes.first ? 'first' : 'backlog');
    (item.apart ? this.busyApart : this.busy).add(item.partition);
    batch.push(item);
    this.queued--;
  }

  private async commitBatch(partitions: readonly number[], batch: Pending[]): Promise<void> {
    const started = performance.now();
    const results = batch.map(() => new StepResults());
    const values: unknown[] = [];
    try {
      await this.transaction(partitions, async (tx, fences) => {
        const activations = this.prepare ? batch.filter((item) => item.activation !== undefined) : [];
        if (activations.length > 1) await this.prepare?.(tx, fences, activations);
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

