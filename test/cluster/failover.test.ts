import { describe, expect, it } from 'vitest';
import { Kvm } from '@nats-io/kv';
import { CLUSTER_BUCKET } from '../../src/cluster/index.ts';
import type { RouterProcess } from '../support/router-process.ts';
import { waitFor } from '../support/services.ts';
import {
  CapacityWatch,
  customersSay,
  expectEveryConversationRouted,
  expectStoredExactlyOnce,
  LEASE_MS,
  settledOwnership,
  storedCount,
  storedOwners,
  useCluster,
  type ServiceAgents,
} from './support.ts';

const CUSTOMERS = 1_000;
const MESSAGES_EACH = 2;
const CAPACITY = 5;

/**
 * Routers lost under load: one killed (kill -9, nothing handed over), one paused with
 * SIGSTOP past its lease and then resumed. The survivors take the share over; the
 * paused one, once resumed, finds its leases gone and writes nothing until it holds
 * new ones; nothing is lost or done twice.
 */
describe('routers lost under load', () => {
  const cluster = useCluster();
  /** The routers alive (the second test goes on from where the first left the cluster). */
  const routers: RouterProcess[] = [];
  let agents: ServiceAgents;

  it('kill -9 of one router: every message stored once, every conversation routed, no agent over capacity, its share taken over within the lease', { timeout: 240_000 }, async () => {
    routers.push(...(await Promise.all(['router-0', 'router-1', 'router-2'].map((id) => cluster.start(id)))));
    const before = await settledOwnership(routers);
    agents = await cluster.agents(20, CAPACITY);
    const watch = new CapacityWatch(cluster.db);
    watch.start();

    const publishing = customersSay(cluster.nc, 0, CUSTOMERS, MESSAGES_EACH);
    await waitFor(async () => ((await storedCount(cluster.db)) >= (CUSTOMERS * MESSAGES_EACH) / 4 ? true : undefined), { what: 'a quarter stored', timeoutMs: 60_000 });
    const victim = routers.splice(1, 1)[0] as RouterProcess;
    const killedAt = Date.now();
    await victim.kill();
    const after = await settledOwnership(routers, 30_000);
    const takeOverMs = Date.now() - killedAt;
    // Its leases expire one lease after their last renewal; the survivors then claim at their next heartbeat.
    expect(takeOverMs).toBeLessThan(LEASE_MS + 3_000);
    const survivors = new Set(routers.map((r) => r.nodeId));
    const fenced = await storedOwners(cluster.db);
    for (const p of before.get(victim.nodeId) ?? []) {
      expect(survivors.has(fenced.get(p) ?? '')).toBe(true);
      expect([...after.values()].some((owned) => owned.includes(p))).toBe(true);
    }

    await expectStoredExactlyOnce(cluster.db, await publishing, 120_000);
    expect(await expectEveryConversationRouted(cluster.db, 120_000)).toBe(CUSTOMERS);
    // No agent over its capacity, no conversation held by two agents at once.
    expect(await watch.stop()).toBeLessThanOrEqual(CAPACITY);
    expect(agents.mostHoldersOfOneConversation).toBe(1);
    // Its member entry, left behind by the crash, is removed by the survivors.
    const kv = await new Kvm(cluster.nc).open(CLUSTER_BUCKET);
    await waitFor(async () => ((await kv.get(`members.${victim.nodeId}`))?.operation === 'PUT' ? undefined : true), {
      what: 'the killed router’s member entry removed',
      timeoutMs: 4 * LEASE_MS,
    });
  });

  it('a router paused past its lease is fenced off, and takes a share again once resumed', { timeout: 240_000 }, async () => {
    const victim = routers[0] as RouterProcess;
    routers.push(await cluster.start('router-3'));
    const before = await settledOwnership(routers);
    const watch = new CapacityWatch(cluster.db);
    watch.start();
    const publishing = customersSay(cluster.nc, CUSTOMERS, 300, 2);

    victim.signal('SIGSTOP');
    const others = routers.filter((r) => r !== victim);
    // The others cannot ask the paused router anything: its share is taken over once its leases expire.
    await waitFor(
      async () => {
        const owned = (await Promise.all(others.map((r) => r.cluster()))).flatMap((v) => v.owned);
        return (before.get(victim.nodeId) ?? []).every((p) => owned.includes(p)) ? true : undefined;
      },
      { what: "the paused router's partitions taken over", timeoutMs: 30_000, intervalMs: 100 },
    );
    const fenced = await storedOwners(cluster.db);
    for (const p of before.get(victim.nodeId) ?? []) expect(fenced.get(p)).not.toBe(victim.nodeId);

    victim.signal('SIGCONT');
    // It learns it lost them (its renewals fail, or it sees them expired) before anything else…
    const lost = await victim.logged((l) => l.msg === 'partition lost' && (l.reason === 'taken' || l.reason === 'expired'));
    expect(before.get(victim.nodeId)).toContain(lost.partition);
    // …and is a member again with a fair share.
    await settledOwnership(routers, 30_000);

    await expectStoredExactlyOnce(cluster.db, CUSTOMERS * MESSAGES_EACH + (await publishing), 120_000);
    expect(await expectEveryConversationRouted(cluster.db, 120_000)).toBe(CUSTOMERS + 300);
    // No agent over its capacity, no conversation held by two agents at once.
    expect(await watch.stop()).toBeLessThanOrEqual(CAPACITY);
    expect(agents.mostHoldersOfOneConversation).toBe(1);
  });
});
