import { describe, expect, it } from 'vitest';
import type { RouterProcess } from '../support/router-process.ts';
import { waitFor } from '../support/services.ts';
import { CapacityWatch, customersSay, expectEveryConversationRouted, settledOwnership, tenant, useCluster } from './support.ts';

const WAITING = 60;
const CAPACITY = 2;

describe('a queue leader lost mid-assignment', () => {
  const cluster = useCluster();

  it('the new leader rebuilds the waiting list from the store, and no conversation is assigned twice', { timeout: 180_000 }, async () => {
    const routers = await Promise.all(['router-0', 'router-1', 'router-2'].map((id) => cluster.start(id)));
    await settledOwnership(routers);
    const leads = async (r: RouterProcess) => (await r.cluster()).queues.some((q) => q.tenant === tenant && q.queue === 'support');
    const leader = (await Promise.all(routers.map(async (r) => ((await leads(r)) ? r : undefined)))).find(Boolean) as RouterProcess;
    expect(leader).toBeDefined();

    // A backlog, with nobody to take it yet.
    await customersSay(cluster.nc, 0, WAITING, 1);
    await waitFor(async () => {
      const queued = await cluster.db.selectFrom('conversations').select((eb) => eb.fn.countAll().as('n')).where('state', '=', 'queued').executeTakeFirstOrThrow();
      return Number(queued.n) === WAITING ? true : undefined;
    }, { what: `${WAITING} conversations waiting`, timeoutMs: 60_000 });

    // Agents come in; the leader starts assigning; it dies in the middle of it.
    const watch = new CapacityWatch(cluster.db);
    watch.start();
    const agents = await cluster.agents(10, CAPACITY);
    await waitFor(async () => {
      const offered = await cluster.db.selectFrom('assignments').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      return Number(offered.n) > 0 ? true : undefined;
    }, { what: 'the first offers', timeoutMs: 30_000, intervalMs: 10 });
    await leader.kill();
    routers.splice(routers.indexOf(leader), 1);

    const survivors = await settledOwnership(routers, 30_000);
    expect([...survivors.keys()]).not.toContain(leader.nodeId);
    const newLeaders = await Promise.all(routers.map(leads));
    expect(newLeaders.filter(Boolean)).toHaveLength(1);

    // Every conversation reaches an agent; none was ever held by two agents; no agent over capacity.
    expect(await expectEveryConversationRouted(cluster.db, 120_000)).toBe(WAITING);
    expect(agents.mostHoldersOfOneConversation).toBe(1);
    expect(await watch.stop()).toBeLessThanOrEqual(CAPACITY);
    // Agents close what they get and customers do not write again: each conversation was given to an agent once.
    expect(agents.assignments.size).toBe(WAITING);
    expect([...agents.assignments.values()].every((n) => n === 1)).toBe(true);
  });
});
