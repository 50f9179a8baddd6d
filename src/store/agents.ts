import type { Kysely } from 'kysely';
import type { AgentRow, Database } from './database.ts';

type Db = Kysely<Database>;

export async function loadAgent(db: Db, tenant: string, id: string): Promise<AgentRow | undefined> {
  return db.selectFrom('agents').selectAll().where('tenant', '=', tenant).where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function saveAgent(
  db: Db,
  row: { tenant: string; id: string; name: string; presence: string; partition: number; snapshot: unknown },
): Promise<void> {
  const values = { ...row, snapshot: JSON.stringify(row.snapshot), updated_at: new Date() };
  await db
    .insertInto('agents')
    .values(values)
    .onConflict((oc) =>
      oc.columns(['tenant', 'id']).doUpdateSet({
        name: values.name,
        presence: values.presence,
        snapshot: values.snapshot,
        updated_at: values.updated_at,
      }),
    )
    .execute();
}

/** Every agent, or those of some partitions. */
export async function listAgents(db: Db, partitions?: readonly number[]): Promise<AgentRow[]> {
  let query = db.selectFrom('agents').selectAll();
  if (partitions) {
    if (partitions.length === 0) return [];
    query = query.where('partition', 'in', partitions);
  }
  return query.execute();
}
