import { describe, expect, it } from 'vitest';
import type { RouterProcess } from '../support/router-process.ts';
import { CapacityWatch, customersSay, expectEveryConversationRouted, expectStoredExactlyOnce, PARTITIONS, settledOwnership, storedOwners, useCluster } from './support.ts';

/** The production lease: a hand-over that waited for it to expire would take this long. */
const LEASE_MS = 10_000;

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
    const sigterm = Date.now();
    await leaving.stop();
    const after = await settledOwnership(routers);
    const handOverMs = Date.now() - sigterm;
    // Released, not left to expire: the others hold it all again before a lease could even have run out.
    expect(handOverMs).toBeLessThan(LEASE_MS);
    const released = leaving.log.filter((l) => l.msg === 'partition lost' && l.reason === 'released' && Date.parse(String(l.time)) >= sigterm).map((l) => l.partition);
    expect(released.sort()).toEqual([...itsShare].sort());
    const takenBy = new Map([...after].flatMap(([node, owned]) => owned.map((p) => [p, node] as const)));
    expect(itsShare.every((p) => takenBy.has(p) && takenBy.get(p) !== leaving.nodeId)).toBe(true);

    await expectStoredExactlyOnce(cluster.db, await publishing);
    expect(await expectEveryConversationRouted(cluster.db)).toBe(300);
    // No agent over its capacity, no conversation held by two agents at once.
    expect(await watch.stop()).toBeLessThanOrEqual(5);
    expect(agents.mostHoldersOfOneConversation).toBe(1);
  });
});
