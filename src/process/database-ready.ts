import { sql, type Kysely } from 'kysely';

/** A readiness check of the database: `true`, or why `select 1` failed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema answers select 1
export function databaseReady(db: Kysely<any>): Promise<true | string> {
  return sql`select 1`.execute(db).then(
    () => true as const,
    (err: unknown) => `select 1 failed: ${err instanceof Error ? err.message || err.name : 'unknown error'}`,
  );
}
