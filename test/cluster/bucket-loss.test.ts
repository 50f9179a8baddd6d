import { jetstreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { CLUSTER_BUCKET } from '../../src/cluster/index.ts';
import { partitionEpochs } from '../../src/store/index.ts';
import { waitFor } from '../support/services.ts';
import { customersSay, expectEveryConversationRouted, expectStoredExactlyOnce, PARTITIONS, settledOwnership, useCluster } from './support.ts';

/**
 * The cluster bucket disappears under running routers (deleted by hand, or a NATS server
 * restarted without its storage): every lease goes with it. The routers recreate it and
 * share the partitions again, without a restart, with new epochs above the old ones.
 */
describe('losing the cluster bucket', () => {
  const cluster = useCluster();

  it('the routers recreate it, claim every partition again above the old epochs, and go on routing', { timeout: 120_000 }, async () => {
    const routers = await Promise.all(['router-0', 'router-1'].map((id) => cluster.start(id)));
    await settledOwnership(routers);
    const before = new Map((await partitionEpochs(cluster.db)).map((p) => [p.partition, p.epoch]));
    expect(before.size).toBe(PARTITIONS);

    await (await jetstreamManager(cluster.nc)).streams.delete(`KV_${CLUSTER_BUCKET}`);

    // Every partition claimed anew: the epochs in the store all moved past the old ones.
    await waitFor(
      async () => {
        const now = await partitionEpochs(cluster.db);
        return now.every((p) => p.epoch > (before.get(p.partition) ?? 0)) ? true : undefined;
      },
      { what: 'every partition claimed again', timeoutMs: 60_000 },
    );
    await settledOwnership(routers, 30_000);
    expect(routers.every((r) => r.running)).toBe(true);

    await cluster.agents(5, 10);
    const published = await customersSay(cluster.nc, 0, 20, 1);
    await expectStoredExactlyOnce(cluster.db, published, 60_000);
    expect(await expectEveryConversationRouted(cluster.db, 60_000)).toBe(20);
  });
});
