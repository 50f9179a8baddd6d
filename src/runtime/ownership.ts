import type { Kysely } from 'kysely';
import { ParleyError } from '../contract/index.ts';
import type { Database } from '../store/index.ts';
import { lockEpochs } from '../store/index.ts';

/** What a node knows of its own partitions. */
export interface Ownership {
  /** The epoch this node writes the partition with; undefined when it does not own it. */
  epochOf(partition: number): number | undefined;
}

/**
 * The fence of one write transaction on a partition's actors: the node must believe it
 * owns the partition, and the store must agree on the epoch. The store's epoch is read
 * FOR SHARE, so the row stays share-locked until commit: a new owner's claim (an update
 * of that row) waits for this transaction, and every later transaction of the old owner
 * reads the new epoch and fails.
 *
 * Where in the transaction the epoch is read does not matter, only that it is read before
 * the commit: a claim committed earlier is seen, a later one waits. So the hot paths fold
 * the read into their first statement (`verify`), or into the transaction's writes
 * (`Fences.verifyRead`), and `close` reads it on its own for a transaction that did
 * neither.
 */
export class Fence {
  private verified = false;

  private constructor(
    private readonly ownership: Ownership,
    readonly partition: number,
    readonly epoch: number,
  ) {}

  /** The fence of a transaction about to start; throws when this node does not own the partition. */
  static of(ownership: Ownership, partition: number): Fence {
    const epoch = ownership.epochOf(partition);
    if (epoch === undefined) throw notOwner(partition);
    return new Fence(ownership, partition, epoch);
  }

  /** Checks the epoch the store returned (read FOR SHARE in this transaction). */
  verify(stored: number | string | null | undefined): void {
    const epoch = stored === null || stored === undefined ? undefined : Number(stored);
    if (epoch !== this.epoch) {
      throw new ParleyError('notPartitionOwner', `partition ${this.partition} moved on: epoch ${epoch ?? 'none'} in the store, ${this.epoch} here`);
    }
    this.verified = true;
  }

  /** The store's epoch has been read and checked in this transaction. */
  get checked(): boolean {
    return this.verified;
  }

  /** Last step before the commit: the store's epoch was checked, and the node still holds the lease. */
  async close(tx: Kysely<Database>): Promise<void> {
    if (!this.verified) this.verify((await lockEpochs(tx, [this.partition])).get(this.partition));
    this.stillOwned();
  }

  /** The node gives a partition up (self-fences) before its lease can expire elsewhere. */
  stillOwned(): void {
    if (this.ownership.epochOf(this.partition) !== this.epoch) throw notOwner(this.partition);
  }
}

/** The fences of one transaction: one per partition whose actors it writes. */
export class Fences {
  private constructor(private readonly byPartition: ReadonlyMap<number, Fence>) {}

  /** Throws when this node does not own one of the partitions. */
  static of(ownership: Ownership, partitions: readonly number[]): Fences {
    return new Fences(new Map(partitions.map((p) => [p, Fence.of(ownership, p)])));
  }

  /** The fence of one of the transaction's partitions. */
  get(partition: number): Fence {
    const fence = this.byPartition.get(partition);
    if (!fence) throw new Error(`partition ${partition} is not one of this transaction's (${[...this.byPartition.keys()].join(', ')})`);
    return fence;
  }

  /** The partitions whose epoch the transaction has not read yet. */
  get unread(): number[] {
    const partitions: number[] = [];
    for (const fence of this.byPartition.values()) if (!fence.checked) partitions.push(fence.partition);
    return partitions;
  }

  /** Checks the epochs of partitions not checked yet, as another statement of the transaction read them FOR SHARE (`StepWrites.flushFenced`). */
  verifyRead(epochs: ReadonlyMap<number, number>): void {
    for (const fence of this.byPartition.values()) if (!fence.checked) fence.verify(epochs.get(fence.partition));
  }

  /** Reads the epochs not read yet, in one statement, and checks them. */
  async read(tx: Kysely<Database>): Promise<void> {
    const unread = this.unread;
    if (unread.length > 0) this.verifyRead(await lockEpochs(tx, unread));
  }

  /** Closes every fence: the epochs not read yet are read in one statement, and the node must still hold every lease. */
  async close(tx: Kysely<Database>): Promise<void> {
    await this.read(tx);
    for (const fence of this.byPartition.values()) fence.stillOwned();
  }

  /** The epoch the transaction is fenced with on a partition; undefined for a partition not its. */
  epochOf(partition: number): number | undefined {
    return this.byPartition.get(partition)?.epoch;
  }
}

function notOwner(partition: number): ParleyError {
  return new ParleyError('notPartitionOwner', `partition ${partition} is not owned by this node`);
}

/** Transactions in progress, so that a router stopping can let them finish. */
export class WorkInProgress {
  private readonly running = new Set<Promise<unknown>>();

  run<T>(work: () => Promise<T>): Promise<T> {
    const task = work();
    this.running.add(task);
    const done = () => this.running.delete(task);
    task.then(done, done);
    return task;
  }

  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }
}
