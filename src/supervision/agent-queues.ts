import type { Kysely } from 'kysely';
import type { QueueConfig } from '../config/index.ts';
import { agentSnapshot, type Database } from '../store/index.ts';
import { agentOnQueue, servesQueue } from './queue-activity.ts';

/** The queues an agent serves (a member, with the queue's skills): whose history the agent may read. */
export async function queuesServedBy(db: Kysely<Database>, tenant: string, agentId: string, queues: readonly QueueConfig[]): Promise<string[]> {
  const row = await db.selectFrom('agents').select(['id', 'presence', agentSnapshot().as('snapshot')]).where('tenant', '=', tenant).where('id', '=', agentId).executeTakeFirst();
  const agent = row && agentOnQueue(row.snapshot);
  if (!agent) return [];
  return queues.filter((q) => q.tenant === tenant && servesQueue(agent, q)).map((q) => q.name);
}
