import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, TimerRow } from './database.ts';

type Db = Kysely<Database>;

export interface TimerRef {
  actorKind: 'conversation' | 'agent';
  actorId: string;
  name: string;
}

/** Arms (or re-arms) a named timer of an actor; a re-armed timer gets a new id so a stale firing is recognized. */
export async function armTimer(db: Db, tenant: string, ref: TimerRef, dueAt: Date, event: unknown, partition: number): Promise<void> {
  const row = {
    id: randomUUID(),
    tenant,
    partition,
    actor_kind: ref.actorKind,
    actor_id: ref.actorId,
    name: ref.name,
    due_at: dueAt,
    event: JSON.stringify(event),
  };
  await db
    .insertInto('timers')
    .values(row)
    .onConflict((oc) => oc.columns(['actor_kind', 'actor_id', 'name']).doUpdateSet({ id: row.id, due_at: row.due_at, event: row.event }))
    .execute();
}

export async function cancelTimer(db: Db, ref: TimerRef): Promise<void> {
  await db
    .deleteFrom('timers')
    .where('actor_kind', '=', ref.actorKind)
    .where('actor_id', '=', ref.actorId)
    .where('name', '=', ref.name)
    .execute();
}

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
