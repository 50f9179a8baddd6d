import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindClusterId, CLUSTER_BUCKET, openClusterBucket } from '../../src/cluster/index.ts';
import { migrateToLatest, openStore, partitionEpochs, readClusterId, type Store } from '../../src/store/index.ts';
import { runParley } from '../cli/run-parley.ts';
import { configFolder, type ConfigFolder } from '../support/config-folder.ts';
import { startPostgresService, type PostgresService } from '../support/postgres-service.ts';
import { RouterProcess } from '../support/router-process.ts';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';
import { LEASE_MS, PARTITIONS, settledOwnership, tenant } from './support.ts';

/**
 * One cluster, one database: two databases on one NATS server. A router of the second
 * database must neither start nor ever adopt the first one's cluster bucket.
 */
describe('one cluster, one database', () => {
  let services: TestServices;
  let other: PostgresService;
  let config: ConfigFolder;
  let nc: NatsConnection;
  let first: Store;
  let second: Store;
  const routers: RouterProcess[] = [];
  const start = async (nodeId: string, databaseUrl: string) => {
    const router = await RouterProcess.start({ natsUrl: services.natsUrl, databaseUrl, nodeId, configDir: config.dir, leaseMs: LEASE_MS });
    routers.push(router);
    return router;
  };

  beforeAll(async () => {
    services = await startTestServices();
    other = await startPostgresService();
    config = await configFolder(tenant);
    nc = await connect({ servers: services.natsUrl });
    first = await openStore({ url: services.databaseUrl });
    second = await openStore({ url: other.url });
    await migrateToLatest(second.db);
  });

  afterAll(async () => {
    for (const r of routers) if (r.running) r.signal('SIGCONT');
    await Promise.all(routers.map((r) => r.kill()));
    await nc?.drain();
    await first?.close();
    await second?.close();
    await other?.stop();
    await services?.stop();
    await config?.remove();
  });

  it('a router or gateway of another database refuses to start, naming both; the running cluster keeps its partitions', { timeout: 120_000 }, async () => {
    const router0 = await start('router-0', services.databaseUrl);
    await settledOwnership([router0]);
    const [firstId, secondId] = await Promise.all([readClusterId(first.db), readClusterId(second.db)]);
    expect(firstId).not.toBe(secondId);

    const refused = await start('router-1', other.url).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(refused?.message).toContain(`NATS at ${services.natsUrl} serves cluster ${firstId}, but PostgreSQL at ${other.url.replace(/:[^:@/]*@/, ':***@')} belongs to cluster ${secondId}`);
    expect(refused?.message).toContain('router router-1 exited with 1');

    const gateway = await runParley(['gateway'], { NATS_URL: services.natsUrl, DATABASE_URL: other.url, PARLEY_AUTH_SECRET: 'x'.repeat(32), PARLEY_PORT: '0' });
    expect(gateway.code).toBe(1);
    expect(gateway.stderr).toContain(`serves cluster ${firstId}, but PostgreSQL at`);

    expect(await partitionEpochs(second.db)).toEqual([]);
    expect((await router0.cluster()).owned).toHaveLength(PARTITIONS);
  });

  it('a router never adopts a cluster bucket recreated by another database: it gives up its partitions and exits', { timeout: 120_000 }, async () => {
    const router0 = routers[0] as RouterProcess;
    const epochsBefore = await partitionEpochs(first.db);
    // Paused while the bucket is lost and a router of the second database creates it again.
    router0.signal('SIGSTOP');
    await (await jetstreamManager(nc)).streams.delete(`KV_${CLUSTER_BUCKET}`);
    const kv = await openClusterBucket(nc);
    await bindClusterId(kv, await readClusterId(second.db));
    router0.signal('SIGCONT');

    await router0.exited();
    expect(router0.child.exitCode).toBe(1);
    expect(router0.log.some((l) => l.msg === 'the cluster bucket now belongs to another database: this router stops')).toBe(true);
    const leases: string[] = [];
    for await (const key of await kv.keys('partitions.>')) leases.push(key);
    expect(leases).toEqual([]);
    expect(await partitionEpochs(first.db)).toEqual(epochsBefore);

    // The bucket is the second database's now: its router starts and takes every partition.
    const router1 = await start('router-1', other.url);
    await settledOwnership([router1]);
    await waitFor(async () => ((await partitionEpochs(second.db)).length === PARTITIONS ? true : undefined), { what: 'the second database to record every partition' });
  });
});
