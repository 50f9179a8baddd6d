import type { Kysely } from 'kysely';
import type { Database, NewOutboxRow, OutboxRow } from './database.ts';

type Db = Kysely<Database>;

export async function insertOutbox(db: Db, rows: NewOutboxRow[]): Promise<OutboxRow[]> {
  if (rows.length === 0) return [];
  return db.insertInto('outbox').values(rows).returningAll().execute();
}

export async function deleteOutbox(db: Db, ids: string[]): Promise<void> {
  if (ids.length > 0) await db.deleteFrom('outbox').where('id', 'in', ids).execute();
}

/** Rows left behind (e.g. by a crash between commit and dispatch) in the given partitions, oldest first. */
export async function pendingOutbox(db: Db, olderThan: Date, limit: number, partitions: readonly number[]): Promise<OutboxRow[]> {
  if (partitions.length === 0) return [];
  return db.selectFrom('outbox').selectAll().where('partition', 'in', partitions).where('created_at', '<=', olderThan).orderBy('id').limit(limit).execute();
}
