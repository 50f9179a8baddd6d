import type { Kysely } from 'kysely';
import type { AgentRow, Database } from './database.ts';

type Db = Kysely<Database>;

/** Every agent, or those of some partitions. */
export async function listAgents(db: Db, partitions?: readonly number[]): Promise<AgentRow[]> {
  let query = db.selectFrom('agents').selectAll();
  if (partitions) {
    if (partitions.length === 0) return [];
    query = query.where('partition', 'in', partitions);
  }
  return query.execute();
}
