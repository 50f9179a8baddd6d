import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * The cluster id: created with the database, recorded by the routers in the NATS cluster
 * bucket, so that a router, gateway or `up` whose NATS belongs to another database's
 * cluster refuses to start (see `src/cluster/cluster-id.ts`). Random, never changed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`insert into cluster_settings (name, value) values ('cluster_id', gen_random_uuid()::text) on conflict (name) do nothing`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.deleteFrom('cluster_settings').where('name', '=', 'cluster_id').execute();
}
