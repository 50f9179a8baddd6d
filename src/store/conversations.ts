import type { Kysely } from 'kysely';
import type { ConversationRow, Database, NewConversation } from './database.ts';

type Db = Kysely<Database>;

export async function loadConversation(db: Db, id: string): Promise<ConversationRow | undefined> {
  return db.selectFrom('conversations').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/** What a conversation is created with and never changes. */
export type ConversationIdentity = Pick<NewConversation, 'id' | 'tenant' | 'channel' | 'customer_id' | 'external_id'> & { partition: number };

export async function insertConversation(db: Db, identity: ConversationIdentity, s: ConversationState): Promise<void> {
  await db
    .insertInto('conversations')
    .values({
      ...identity,
      state: s.state,
      queue: s.queue,
      agent_id: s.agentId,
      last_message_at: s.lastMessageAt,
      closed_at: s.closedAt,
      snapshot: JSON.stringify(s.snapshot),
    })
    .execute();
}

/** What a conversation's step changes. */
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
