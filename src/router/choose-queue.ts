import type { Kysely } from 'kysely';
import type { ConfigRegistry } from '../config/index.ts';
import type { Database } from '../store/index.ts';

/** Overflow hops followed at most, so that queues overflowing into each other cannot loop. */
const MAX_HOPS = 5;

/**
 * The queue a new conversation joins: the one the inbound flow chose, or — when that
 * queue is at its maximum depth — its overflow queue (and so on).
 */
export async function chooseQueue(db: Kysely<Database>, config: ConfigRegistry, tenant: string, wanted: string): Promise<string> {
  let name = wanted;
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const queue = config.queue(tenant, name);
    if (!queue || queue.maxDepth === 0 || !queue.overflowQueue) return name;
    const row = await db
      .selectFrom('conversations')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('tenant', '=', tenant)
      .where('queue', '=', name)
      .where('state', 'in', ['queued', 'offered'])
      .executeTakeFirstOrThrow();
    if (Number(row.n) < queue.maxDepth) return name;
    name = queue.overflowQueue;
  }
  return name;
}
