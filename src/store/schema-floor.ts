import { sql, type Kysely } from 'kysely';

/**
 * Which releases may run on a database, for upgrades that roll one process at a time.
 *
 * Migrations are additive by default (expand, then contract in a later release): a
 * process that does not know a newer migration goes on beside it. A migration that
 * changes what older releases read or write (a column they need dropped, rows they
 * cannot read) calls `raiseSchemaFloor` in its `up`: from its commit on, only a release
 * that knows that migration may run. The processes of older releases stop (at start, at
 * their next schema check, and before taking a partition), and the routers among them are
 * fenced off at once by the same transaction.
 */

/** The `cluster_settings` row holding the oldest migration a process must know to run on this database. */
export const SCHEMA_FLOOR_SETTING = 'schema_floor';

/** The table Kysely's migrator records the migrations run in. */
export const MIGRATION_TABLE = 'parley_migrations';

/** What a process finds of the database's schema, against the migrations it was built with. */
export interface SchemaStanding {
  /** Migrations run on the database that this release does not know (newer ones), in order. */
  newer: string[];
  /** Migrations of this release not run on the database yet. */
  pending: string[];
  /** The schema floor, if a migration raised one. */
  floor: string | undefined;
}

/** The database needs a newer release than this one: it must not run on it. */
export class SchemaTooNewError extends Error {
  override readonly name = 'SchemaTooNewError';

  constructor(
    readonly floor: string,
    readonly latestKnown: string | undefined,
  ) {
    super(`the database's schema needs a newer Parley: its migration ${floor} changed what older releases read, and this release knows migrations up to ${latestKnown ?? 'none'}`);
  }
}

/**
 * For a migration's `up`, in its transaction: only releases that know `migration` may
 * run from now on. Every partition's epoch goes up with it, so every router already
 * running is fenced: its next write fails (and is retried by a router of the new
 * release), whatever it believes of its leases.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema version
export async function raiseSchemaFloor(db: Kysely<any>, migration: string): Promise<void> {
  await sql`insert into cluster_settings (name, value) values (${SCHEMA_FLOOR_SETTING}, ${migration})
            on conflict (name) do update set value = excluded.value`.execute(db);
  await sql`update partition_epochs set epoch = epoch + 1`.execute(db);
}

/** The migrations run on the database that `known` lacks, and its floor (nothing on a database never migrated). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- read before migrating: any schema version
export async function schemaStanding(db: Kysely<any>, known: readonly string[]): Promise<SchemaStanding> {
  const { rows } = await sql<{ migrated: boolean; settings: boolean }>`
    select to_regclass(${MIGRATION_TABLE}) is not null as migrated, to_regclass('cluster_settings') is not null as settings`.execute(db);
  const found = rows[0];
  if (!found?.migrated) return { newer: [], pending: [...known], floor: undefined };
  const { rows: ranRows } = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)} order by name`.execute(db);
  const ran = new Set(ranRows.map((r) => r.name));
  const knownSet = new Set(known);
  const newer = [...ran].filter((name) => !knownSet.has(name));
  const pending = known.filter((name) => !ran.has(name));
  return { newer, pending, floor: found.settings ? await readFloor(db) : undefined };
}

/**
 * Throws `SchemaTooNewError` when the database's floor is a migration `known` lacks: one
 * read, for a process already running on the schema (`cluster_settings` exists).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- reads one table any running schema has
export async function assertFloorKnown(db: Kysely<any>, known: readonly string[]): Promise<void> {
  refuseUnknownFloor(await readFloor(db), known);
}

/** Throws `SchemaTooNewError` when the database's floor is a migration `known` lacks; returns what was found. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- read before migrating: any schema version
export async function assertSchemaRunnable(db: Kysely<any>, known: readonly string[]): Promise<SchemaStanding> {
  const standing = await schemaStanding(db, known);
  refuseUnknownFloor(standing.floor, known);
  return standing;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- reads one table any running schema has
async function readFloor(db: Kysely<any>): Promise<string | undefined> {
  const { rows } = await sql<{ value: string }>`select value from cluster_settings where name = ${SCHEMA_FLOOR_SETTING}`.execute(db);
  return rows[0]?.value;
}

function refuseUnknownFloor(floor: string | undefined, known: readonly string[]): void {
  if (floor !== undefined && !known.includes(floor)) throw new SchemaTooNewError(floor, [...known].sort().at(-1));
}
