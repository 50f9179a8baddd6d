import type { Kysely } from 'kysely';
import type { Database, NewOutboxRow, OutboxRow } from './database.ts';

type Db = Kysely<Database>;

export async function insertOutbox(db: Db, rows: NewOutboxRow[]): Promise<OutboxRow[]> {
  if (rows.length === 0) return [];
  return db.insertInto('outbox').values(rows).returningAll().execute();
}

/**
 * Whether an older event for the same actor is still in the outbox: events reach an actor
 * in the order they were committed, so a later one waits until the earlier is consumed.
 */
export async function earlierOutboxPending(db: Db, targetKind: 'conversation' | 'agent', tenant: string, targetId: string, id: string): Promise<boolean> {
  const row = await db
    .selectFrom('outbox')
    .select('id')
    .where('target_kind', '=', targetKind)
    .where('tenant', '=', tenant)
    .where('target_id', '=', targetId)
    .where('id', '<', id)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Deletes one outbox row; false when another transaction already consumed it. */
export async function consumeOutbox(db: Db, id: string): Promise<boolean> {
  const deleted = await db.deleteFrom('outbox').where('id', '=', id).returning('id').executeTakeFirst();
  return deleted !== undefined;
}

export async function deleteOutbox(db: Db, ids: string[]): Promise<void> {
  if (ids.length > 0) await db.deleteFrom('outbox').where('id', 'in', ids).execute();
}

/** Rows left behind (e.g. by a crash between commit and dispatch) in the given partitions, oldest first. */
export async function pendingOutbox(db: Db, olderThan: Date, limit: number, partitions: readonly number[]): Promise<OutboxRow[]> {
  if (partitions.length === 0) return [];
  return db.selectFrom('outbox').selectAll().where('partition', 'in', partitions).where('created_at', '<=', olderThan).orderBy('id').limit(limit).execute();
}
