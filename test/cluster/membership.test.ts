import { Kvm, type KvWatchEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { CLUSTER_BUCKET, type LeaseValue } from '../../src/cluster/index.ts';
import type { RouterProcess } from '../support/router-process.ts';
import { CapacityWatch, customersSay, expectEveryConversationRouted, expectStoredExactlyOnce, PARTITIONS, settledOwnership, storedOwners, useCluster } from './support.ts';

/** The production lease: the routers' leases do not run out under load here, and a hand-over must not wait for one to. */
const LEASE_MS = 10_000;

/**
 * Every value the partitions' leases take from now on, in order, as the routers see them
 * (a watch of the cluster bucket, the routers' own): a lease released is a value with no
 * owner, where one taken after it expired goes from its holder straight to the next.
 */
async function watchLeases(nc: NatsConnection) {
  const kv = await new Kvm(nc).open(CLUSTER_BUCKET);
  const watch = await kv.watch({ key: 'partitions.>', include: 'updates' });
  const values = new Map<number, LeaseValue[]>();
  let waiting: { done: () => boolean; resolve: () => void } | undefined;
  const observe = (entry: KvWatchEntry) => {
    if (entry.operation !== 'PUT') return;
    const partition = Number(entry.key.slice('partitions.'.length));
    values.set(partition, [...(values.get(partition) ?? []), entry.json<LeaseValue>()]);
    if (waiting?.done()) waiting.resolve();
  };
  void (async () => {
    for await (const entry of watch) observe(entry);
  })();
  return {
    /** The values of a partition's lease seen so far. */
    of: (partition: number) => values.get(partition) ?? [],
    /** Resolves once `done` holds, judged on each value as it comes. */
    until(done: () => boolean, what: string, timeoutMs: number): Promise<void> {
      return new Promise((resolve, reject) => {
        if (done()) return resolve();
        const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
        waiting = { done, resolve: () => (clearTimeout(timer), (waiting = undefined), resolve()) };
      });
    },
    stop: () => watch.stop(),
  };
}

describe('routers joining and leaving the cluster', () => {
  const cluster = useCluster();

  it('three routers share the partitions, a fourth takes its share, and one that leaves hands its share over at once without losing a message', { timeout: 180_000 }, async () => {
    const start = (nodeId: string) => cluster.start(nodeId, LEASE_MS);
    const routers = await Promise.all(['router-0', 'router-1', 'router-2'].map(start));
    const three = await settledOwnership(routers);
    expect([...three.values()].map((owned) => owned.length).sort()).toEqual([21, 21, 22]);
    // The fencing table agrees with the leases: each partition's epoch was claimed by its owner.
    const fenced = await storedOwners(cluster.db);
    for (const [node, owned] of three) for (const p of owned) expect(fenced.get(p)).toBe(node);

    routers.push(await start('router-3'));
    const four = await settledOwnership(routers);
    expect(four.get('router-3')).toHaveLength(PARTITIONS / 4);

    const agents = await cluster.agents(10, 5);
    const watch = new CapacityWatch(cluster.db);
    watch.start();
    const publishing = customersSay(cluster.nc, 0, 300, 2);

    const leaving = routers.splice(1, 1)[0] as RouterProcess;
    const itsShare = four.get(leaving.nodeId) ?? [];
    // The epochs it holds its share with (the fencing table records each claim).
    const epochs = await cluster.db.selectFrom('partition_epochs').select(['partition', 'epoch']).where('owner', '=', leaving.nodeId).execute();
    const heldWith = new Map(epochs.map((r) => [r.partition, Number(r.epoch)]));
    const leases = await watchLeases(cluster.nc);
    const others = new Set(routers.map((r) => r.nodeId));
    /** A partition's lease values from the first that is not the leaving router's own (its renewals). */
    const handedOver = (p: number) => {
      const values = leases.of(p);
      const from = values.findIndex((v) => v.owner !== leaving.nodeId);
      return from < 0 ? [] : values.slice(from);
    };
    const sigterm = Date.now();
    await leaving.stop();
    // However long the machine takes: each partition of its share claimed by one of the others.
    await leases.until(() => itsShare.every((p) => handedOver(p).some((v) => v.owner !== null && others.has(v.owner))), 'claim of every partition of the leaving share', 60_000);
    leases.stop();
    // Released, not left to expire: the lease went to no owner first, at the epoch the leaving
    // router held it with, and the next owner claimed it on that (its claim is conditional on
    // the entry it saw): it never had to wait for the lease to run out.
    for (const p of itsShare) {
      const [release, claim] = handedOver(p);
      expect(release, `partition ${p} released`).toEqual({ owner: null, epoch: heldWith.get(p) });
      expect(claim?.epoch, `partition ${p} claimed on its release`).toBe((release?.epoch ?? NaN) + 1);
      expect(others.has(String(claim?.owner)), `partition ${p} claimed by ${String(claim?.owner)}`).toBe(true);
    }
    const released = leaving.log.filter((l) => l.msg === 'partition lost' && l.reason === 'released' && Date.parse(String(l.time)) >= sigterm).map((l) => l.partition);
    expect(released.sort()).toEqual([...itsShare].sort());
    const after = await settledOwnership(routers);
    const takenBy = new Map([...after].flatMap(([node, owned]) => owned.map((p) => [p, node] as const)));
    expect(itsShare.every((p) => takenBy.has(p) && takenBy.get(p) !== leaving.nodeId)).toBe(true);

    await expectStoredExactlyOnce(cluster.db, await publishing);
    expect(await expectEveryConversationRouted(cluster.db)).toBe(300);
    // No agent over its capacity, no conversation held by two agents at once.
    expect(await watch.stop()).toBeLessThanOrEqual(5);
    expect(agents.mostHoldersOfOneConversation).toBe(1);
  });
});
