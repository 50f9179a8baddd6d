import type { Kysely } from 'kysely';
import type { AssignmentRow, Database } from './database.ts';

type Db = Kysely<Database>;

export async function insertAssignment(
  db: Db,
  a: { id: string; tenant: string; conversationId: string; agentId: string; queue: string | null; offeredAt: Date; reason: unknown },
): Promise<void> {
  await db
    .insertInto('assignments')
    .values({
      id: a.id,
      tenant: a.tenant,
      conversation_id: a.conversationId,
      agent_id: a.agentId,
      queue: a.queue,
      state: 'offered',
      offered_at: a.offeredAt,
      reason: JSON.stringify(a.reason),
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Records the outcome of an offer (or the end of an accepted assignment). */
export async function updateAssignment(
  db: Db,
  id: string,
  state: AssignmentRow['state'],
  at: Date,
): Promise<void> {
  const set = state === 'ended' ? { state, ended_at: at } : { state, answered_at: at };
  await db.updateTable('assignments').set(set).where('id', '=', id).execute();
}

export async function setWrapUpCode(db: Db, id: string, code: string): Promise<void> {
  await db.updateTable('assignments').set({ wrap_up_code: code }).where('id', '=', id).execute();
}

