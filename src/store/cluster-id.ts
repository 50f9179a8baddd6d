import type { Kysely } from 'kysely';
import type { Database } from './database.ts';

/** The database has no cluster id: its schema predates it (the routers run the migrations). */
export class ClusterIdMissingError extends Error {
  override readonly name = 'ClusterIdMissingError';
}

/** The id of the cluster this database belongs to, created with it by the migrations. */
export async function readClusterId(db: Kysely<Database>): Promise<string> {
  const row = await db.selectFrom('cluster_settings').select('value').where('name', '=', 'cluster_id').executeTakeFirst();
  if (!row) throw new ClusterIdMissingError('the database has no cluster id: its schema is not up to date (start a router or `parley up` first: they run the migrations)');
  return row.value;
}
