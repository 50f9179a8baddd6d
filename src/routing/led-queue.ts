import type { QueueConfig } from '../config/index.ts';
import { QueueMembers, type Member } from './queue-members.ts';

/**
 * One queue as a scheduler knows it: its configuration as last read and its waiting
 * conversations. A conversation keeps its queue's object while it waits in it, so its
 * configuration and members are reached without a lookup by name.
 */
export class LedQueue<T extends Member> {
  /** The configuration has been read (`config` is what the registry held then). */
  configRead = false;
  config: QueueConfig | undefined = undefined;
  /** The configuration's content as last read: a new object with the same content re-decides nothing. */
  fingerprint = '';
  readonly members = new QueueMembers<T>();

  constructor(
    readonly tenant: string,
    readonly name: string,
  ) {}
}

/** The queues a scheduler has seen, by tenant and name, in the order it first saw them. */
export class LedQueues<T extends Member> {
  private readonly byTenant = new Map<string, Map<string, LedQueue<T>>>();
  private readonly seen: LedQueue<T>[] = [];

  of(tenant: string, name: string): LedQueue<T> {
    let queues = this.byTenant.get(tenant);
    if (!queues) this.byTenant.set(tenant, (queues = new Map<string, LedQueue<T>>()));
    let queue = queues.get(name);
    if (!queue) {
      queues.set(name, (queue = new LedQueue<T>(tenant, name)));
      this.seen.push(queue);
    }
    return queue;
  }

  /** The queue, if seen. */
  find(tenant: string, name: string): LedQueue<T> | undefined {
    return this.byTenant.get(tenant)?.get(name);
  }

  /** Every queue seen so far (a copy: the caller may meet new ones while reading it). */
  all(): LedQueue<T>[] {
    return this.seen.slice();
  }
}
