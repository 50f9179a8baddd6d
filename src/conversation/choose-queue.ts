import type { Kysely } from 'kysely';
import type { ConfigRegistry } from '../config/index.ts';
import type { Database } from '../store/index.ts';

/** Overflow hops followed at most, so that queues overflowing into each other cannot loop. */
const MAX_HOPS = 5;

/** The queue a new conversation joins; `fallbackFrom`: the missing queue the inbound flow chose instead. */
export interface ChosenQueue {
  queue: string;
  fallbackFrom: string | undefined;
}

/**
 * The queue a new conversation joins: the one the inbound flow chose, or — when that
 * queue is at its maximum depth — its overflow queue (and so on).
 *
 * A chosen queue that does not exist (deleted, or never created) gives way to
 * `channelQueue`, the channel's own queue, when that one exists. Otherwise the
 * conversation joins the missing queue all the same: there it is stored but never offered,
 * and a deleted queue's leader closes it at once with reason `queueDeleted`.
 */
export async function chooseQueue(
  db: Kysely<Database>,
  config: ConfigRegistry,
  tenant: string,
  wanted: string,
  channelQueue?: string,
  /** Sends the transaction's pending writes before a queue's conversations are counted (the new ones count). */
  beforeCount?: () => Promise<void>,
): Promise<ChosenQueue> {
  const fallback = !config.queue(tenant, wanted) && channelQueue !== undefined && config.queue(tenant, channelQueue) !== undefined;
  const fallbackFrom = fallback ? wanted : undefined;
  let name = fallback ? channelQueue : wanted;
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const queue = config.queue(tenant, name);
    if (!queue || queue.maxDepth === 0 || !queue.overflowQueue) return { queue: name, fallbackFrom };
    await beforeCount?.();
    const row = await db
      .selectFrom('conversations')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('tenant', '=', tenant)
      .where('queue', '=', name)
      .where('state', 'in', ['queued', 'offered'])
      .executeTakeFirstOrThrow();
    // Full, and its overflow queue is gone: waiting here beats waiting where no one is offered.
    if (Number(row.n) < queue.maxDepth || !config.queue(tenant, queue.overflowQueue)) return { queue: name, fallbackFrom };
    name = queue.overflowQueue;
  }
  return { queue: name, fallbackFrom };
}
