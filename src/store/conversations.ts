import type { Kysely } from 'kysely';
import type { ConversationRow, Database, NewConversation } from './database.ts';

type Db = Kysely<Database>;

/** The open (not closed) conversation on this channel for this customer identity, locked for update. */
export async function findOpenConversation(
  db: Db,
  tenant: string,
  channel: string,
  externalId: string,
): Promise<ConversationRow | undefined> {
  return db
    .selectFrom('conversations')
    .selectAll()
    .where('tenant', '=', tenant)
    .where('channel', '=', channel)
    .where('external_id', '=', externalId)
    .where('state', '<>', 'closed')
    .forUpdate()
    .executeTakeFirst();
}

export async function loadConversation(db: Db, id: string): Promise<ConversationRow | undefined> {
  return db.selectFrom('conversations').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function insertConversation(db: Db, row: NewConversation): Promise<void> {
  await db.insertInto('conversations').values(row).execute();
}

export interface ConversationState {
  state: string;
  queue: string | null;
  agentId: string | null;
  lastMessageAt: Date;
  closedAt: Date | null;
  snapshot: unknown;
}

export async function saveConversation(db: Db, id: string, s: ConversationState): Promise<void> {
  await db
    .updateTable('conversations')
    .set({
      state: s.state,
      queue: s.queue,
      agent_id: s.agentId,
      last_message_at: s.lastMessageAt,
      closed_at: s.closedAt,
      snapshot: JSON.stringify(s.snapshot),
    })
    .where('id', '=', id)
    .execute();
}

/** Conversations waiting for an agent in a queue: what its scheduler rebuilds its waiting list from. */
export async function listWaitingConversations(db: Db, tenant: string, queue: string): Promise<ConversationRow[]> {
  return db.selectFrom('conversations').selectAll().where('state', '=', 'queued').where('tenant', '=', tenant).where('queue', '=', queue).execute();
}

/** The queues that have conversations waiting. */
export async function queuesWithWaiting(db: Db): Promise<{ tenant: string; queue: string }[]> {
  const rows = await db.selectFrom('conversations').select(['tenant', 'queue']).distinct().where('state', '=', 'queued').execute();
  return rows.flatMap((r) => (r.queue === null ? [] : [{ tenant: r.tenant, queue: r.queue }]));
}
