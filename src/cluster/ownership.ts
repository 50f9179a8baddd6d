import type { Kysely } from 'kysely';
import { ParleyError } from '../contract/index.ts';
import type { Database } from '../store/index.ts';
import { lockEpoch } from '../store/index.ts';

/** What a node knows of its own partitions. */
export interface Ownership {
  /** The epoch this node writes the partition with; undefined when it does not own it. */
  epochOf(partition: number): number | undefined;
}

/**
 * The fence, first statement of every write transaction on a partition's actors: the
 * node must believe it owns the partition, and the store must agree on the epoch. The
 * epoch row stays share-locked until commit, so a new owner's claim waits for this
 * transaction and every later one of the old owner fails here.
 */
export async function fence(tx: Kysely<Database>, ownership: Ownership, partition: number): Promise<void> {
  const mine = ownership.epochOf(partition);
  if (mine === undefined) throw new ParleyError('notPartitionOwner', `partition ${partition} is not owned by this node`);
  const stored = await lockEpoch(tx, partition);
  if (stored !== mine) {
    throw new ParleyError('notPartitionOwner', `partition ${partition} moved on: epoch ${stored ?? 'none'} in the store, ${mine} here`);
  }
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
