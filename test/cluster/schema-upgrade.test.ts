import type { Migration } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openClusterBucket, PartitionLeases, type LeaseValue } from '../../src/cluster/index.ts';
import { createLogger } from '../../src/observability/index.ts';
import { migrateToLatest, parleyMigrations, partitionEpochs, SchemaTooNewError } from '../../src/store/index.ts';
import { runParley } from '../cli/run-parley.ts';
import { FUTURE_ADDITIVE, FUTURE_BREAKING, futureMigrations } from '../support/future-migrations.ts';
import type { RouterProcess } from '../support/router-process.ts';
import { PARTITIONS, settledOwnership, useCluster } from './support.ts';

/**
 * A rolling upgrade: a newer release migrates the database while this release's routers
 * run. They go on beside an additive migration; a migration that raised the schema floor
 * fences them at once and stops them, handing their partitions over, and they cannot
 * start again on that database.
 */
describe('a router under a newer release\'s migrations', () => {
  const cluster = useCluster();
  let router: RouterProcess;

  it('keeps routing beside a migration that left the schema floor where it was', { timeout: 120_000 }, async () => {
    router = await cluster.start('router-0');
    await settledOwnership([router]);

    await migrateToLatest(cluster.db, { ...parleyMigrations, [FUTURE_ADDITIVE]: futureMigrations[FUTURE_ADDITIVE] as Migration });

    const noticed = await router.logged((l) => l.msg === 'the database schema is newer than this release, and still runs it' && JSON.stringify(l.newer) === JSON.stringify([FUTURE_ADDITIVE]));
    expect(noticed.level).toBe('info');
    expect((await router.cluster()).owned).toHaveLength(PARTITIONS);
  });

  it('is fenced and stops, handing its partitions over, once a newer migration raised the floor; nothing of this release starts again', { timeout: 120_000 }, async () => {
    const before = new Map((await partitionEpochs(cluster.db)).map((p) => [p.partition, p.epoch]));

    await migrateToLatest(cluster.db, { ...parleyMigrations, ...futureMigrations });

    // Fenced in the migration's own transaction: every stored epoch is past the one the router writes with.
    for (const { partition, epoch } of await partitionEpochs(cluster.db)) expect(epoch).toBeGreaterThan(before.get(partition) as number);
    await router.exited();
    expect(router.child.exitCode).toBe(1);
    const stopping = await router.logged((l) => l.msg === 'stopping');
    expect(stopping.reason).toBe('the database schema needs a newer release');
    // Handed over, not left to expire: a router of the new release takes them at once.
    const kv = await openClusterBucket(cluster.nc);
    for (let p = 0; p < PARTITIONS; p++) expect((await kv.get(`partitions.${p}`))?.json<LeaseValue>().owner).toBeNull();

    const refused = await cluster.start('router-1').then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(refused?.message).toContain(`cannot migrate the schema: the database's schema needs a newer Parley: its migration ${FUTURE_BREAKING} changed what older releases read`);
  });

  it('takes no partition once the floor is past it, even with no schema check due: the claim reads the floor after recording its epoch', { timeout: 60_000 }, async () => {
    const refusals: Error[] = [];
    const gained: number[] = [];
    const logged: string[] = [];
    const leases = new PartitionLeases({
      nc: cluster.nc,
      db: cluster.db,
      nodeId: 'router-4',
      partitions: PARTITIONS,
      leaseMs: 3_000,
      heartbeatMs: 600,
      log: createLogger({ component: 'test' }, { level: 'error', write: (line) => logged.push(line) }),
      onRefused: (err) => refusals.push(err),
    });
    try {
      await leases.start({ gained: (p) => Promise.resolve(void gained.push(p)), lost: async () => {} });
      expect(refusals).toHaveLength(1);
      expect(refusals[0]).toBeInstanceOf(SchemaTooNewError);
      expect(gained).toEqual([]);
      expect(leases.owned()).toEqual([]);
      expect(leases.healthy()).toBe(false);
      expect(logged.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['the database schema needs a newer release: this router takes no more partitions']);
    } finally {
      await leases.stop();
    }
  });

  it('refuses to start a gateway on a database whose schema floor it does not know', { timeout: 120_000 }, async () => {
    const gateway = await runParley(['gateway'], { NATS_URL: cluster.natsUrl, DATABASE_URL: cluster.databaseUrl, PARLEY_AUTH_SECRET: 'x'.repeat(32), PARLEY_PORT: '0' });
    expect(gateway.code).toBe(1);
    expect(gateway.stderr).toContain(`cannot run on its schema: the database's schema needs a newer Parley: its migration ${FUTURE_BREAKING}`);
  });
});
