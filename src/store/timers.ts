import type { Kysely } from 'kysely';
import type { Database, TimerRow } from './database.ts';

type Db = Kysely<Database>;

/** Timers due by `now` in the given partitions (those this node owns), earliest first. */
export async function dueTimers(db: Db, now: Date, limit: number, partitions: readonly number[]): Promise<TimerRow[]> {
  if (partitions.length === 0) return [];
  return db.selectFrom('timers').selectAll().where('partition', 'in', partitions).where('due_at', '<=', now).orderBy('due_at').limit(limit).execute();
}

export async function nextTimerDue(db: Db, partitions: readonly number[]): Promise<Date | undefined> {
  if (partitions.length === 0) return undefined;
  const row = await db.selectFrom('timers').select((eb) => eb.fn.min('due_at').as('due')).where('partition', 'in', partitions).executeTakeFirst();
  return row?.due ? new Date(row.due) : undefined;
}
