import type { Migration } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertSchemaRunnable,
  claimEpoch,
  knownMigrations,
  MigrationError,
  migrateToLatest,
  openStore,
  parleyMigrations,
  partitionEpochs,
  schemaStanding,
  SchemaTooNewError,
  type Store,
} from '../../src/store/index.ts';
import { FUTURE_ADDITIVE, FUTURE_BREAKING, futureMigrations } from '../support/future-migrations.ts';
import { startPostgresService, type PostgresService } from '../support/postgres-service.ts';

/**
 * Which releases may run on a database: a release goes on beside migrations it does not
 * know unless one of them raised the schema floor, which also fences every router.
 */
describe('the schema floor', () => {
  let postgres: PostgresService;
  let store: Store;
  const db = () => store.db;

  beforeAll(async () => {
    postgres = await startPostgresService();
    store = await openStore({ url: postgres.url });
  });

  afterAll(async () => {
    await store?.close();
    await postgres?.stop();
  });

  it('finds every migration of this release pending on a database never migrated, and none once migrated', async () => {
    expect(await schemaStanding(db(), knownMigrations)).toEqual({ newer: [], pending: [...knownMigrations], floor: undefined });
    expect(await migrateToLatest(db())).toEqual([...knownMigrations]);
    expect(await schemaStanding(db(), knownMigrations)).toEqual({ newer: [], pending: [], floor: undefined });
  });

  it('runs beside a newer migration that left the floor where it was, without migrating', async () => {
    await migrateToLatest(db(), { ...parleyMigrations, [FUTURE_ADDITIVE]: futureMigrations[FUTURE_ADDITIVE] as Migration });
    expect(await migrateToLatest(db())).toEqual([]);
    expect(await assertSchemaRunnable(db(), knownMigrations)).toEqual({ newer: [FUTURE_ADDITIVE], pending: [], floor: undefined });
  });

  it('refuses this release once a newer migration raised the floor, and fences every partition in the same transaction', async () => {
    await claimEpoch(db(), 0, 4, 'router-0');
    await claimEpoch(db(), 1, 9, 'router-1');

    await migrateToLatest(db(), { ...parleyMigrations, ...futureMigrations });

    expect((await partitionEpochs(db())).map((p) => [p.partition, p.epoch])).toEqual([
      [0, 5],
      [1, 10],
    ]);
    const latest = knownMigrations.at(-1) as string;
    const refused = await migrateToLatest(db()).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(SchemaTooNewError);
    expect((refused as Error).message).toBe(
      `the database's schema needs a newer Parley: its migration ${FUTURE_BREAKING} changed what older releases read, and this release knows migrations up to ${latest}`,
    );
    await expect(assertSchemaRunnable(db(), knownMigrations)).rejects.toThrow(SchemaTooNewError);
    // The release that raised it runs.
    const newer = [...knownMigrations, ...Object.keys(futureMigrations)];
    expect(await assertSchemaRunnable(db(), newer)).toEqual({ newer: [], pending: [], floor: FUTURE_BREAKING });
  });

  it('refuses a database that ran newer migrations but not all of this release', async () => {
    const other = await startPostgresService();
    const otherStore = await openStore({ url: other.url });
    try {
      const latest = knownMigrations.at(-1) as string;
      const { [latest]: _skipped, ...withoutLatest } = parleyMigrations;
      await migrateToLatest(otherStore.db, { ...withoutLatest, [FUTURE_ADDITIVE]: futureMigrations[FUTURE_ADDITIVE] as Migration });
      const refused = await migrateToLatest(otherStore.db).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(MigrationError);
      expect((refused as Error).message).toContain(`but not all of its own (${latest})`);
    } finally {
      await otherStore.close();
      await other.stop();
    }
  });
});
