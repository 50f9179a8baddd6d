import type { Kysely } from 'kysely';
import type { ConversationRow, Database } from './database.ts';

type Db = Kysely<Database>;

/** Conversations waiting for an agent in a queue: what its scheduler rebuilds its waiting list from. */
export async function listWaitingConversations(db: Db, tenant: string, queue: string): Promise<ConversationRow[]> {
  return db.selectFrom('conversations').selectAll().where('state', '=', 'queued').where('tenant', '=', tenant).where('queue', '=', queue).execute();
}

/** The queues that have conversations waiting. */
export async function queuesWithWaiting(db: Db): Promise<{ tenant: string; queue: string }[]> {
  const rows = await db.selectFrom('conversations').select(['tenant', 'queue']).distinct().where('state', '=', 'queued').execute();
  return rows.flatMap((r) => (r.queue === null ? [] : [{ tenant: r.tenant, queue: r.queue }]));
}
