import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import * as initial from './migrations/2026-11-22T0001-initial.ts';
import * as wrapUp from './migrations/2026-11-22T0002-wrap-up.ts';
import * as partitions from './migrations/2026-11-22T0003-partitions.ts';
import * as timerTenant from './migrations/2026-11-22T0004-timer-tenant.ts';
import * as contactsAndConsent from './migrations/2026-12-04T0010-contacts-and-consent.ts';

/** Migrations listed explicitly, so they work the same from source, a bundle or a test. */
const migrations: Record<string, Migration> = {
  '2026-11-22T0001-initial': initial,
  '2026-11-22T0002-wrap-up': wrapUp,
  '2026-11-22T0003-partitions': partitions,
  '2026-11-22T0004-timer-tenant': timerTenant,
  '2026-12-04T0010-contacts-and-consent': contactsAndConsent,
};

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations) };

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/** Brings the schema to the latest version; throws (and the process exits non-zero) on failure. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema version, by design
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider, migrationTableName: 'parley_migrations', migrationLockTableName: 'parley_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new MigrationError(`migration ${failed?.migrationName ?? '(unknown)'} failed`, { cause: error });
  }
  return (results ?? []).map((r) => r.migrationName);
}
