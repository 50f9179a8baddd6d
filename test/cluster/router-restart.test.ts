import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/services.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { tenant, useCluster } from './support.ts';

const customers = 20;
const messagesEach = 15;

/** The only router of a cluster, killed mid-stream and started again under the same name. */
describe('a router process killed mid-stream', () => {
  const cluster = useCluster();

  it('loses no message: everything published is stored exactly once and routed after a restart', { timeout: 180_000 }, async () => {
    const { nc, db } = cluster;
    const router = await cluster.start('router-0');
    const agent = new AgentDriver(nc, tenant, 'ines');
    await agent.configure([], { message: 25 });
    await agent.presence('available');
    agent.autoAccept();

    const stored = async () => Number((await db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const drivers = Array.from({ length: customers }, (_, i) => new CustomerDriver(nc, tenant, 'whatsapp', { id: `+4479460000${String(i).padStart(2, '0')}`, idType: 'phone' }));
    const publishing = (async () => {
      for (let round = 0; round < messagesEach; round++) {
        await Promise.all(drivers.map((d, i) => d.say(`message ${round} from ${i}`)));
      }
    })();

    // Kill -9 once a part of the stream is stored, while the rest is still arriving.
    await waitFor(async () => ((await stored()) >= (customers * messagesEach) / 4 ? true : undefined), { what: 'a quarter stored', timeoutMs: 30_000 });
    await router.kill();
    await publishing;
    // A stable node name, as a StatefulSet pod has: the restarted router takes its partitions back at once.
    await cluster.start('router-0');

    const total = customers * messagesEach;
    await waitFor(async () => ((await stored()) === total ? true : undefined), { what: `${total} messages stored`, timeoutMs: 60_000 });
    const perMessage = await db
      .selectFrom('messages')
      .select(['platform_message_id', (eb) => eb.fn.countAll().as('n')])
      .groupBy('platform_message_id')
      .having((eb) => eb.fn.countAll(), '>', 1)
      .execute();
    expect(perMessage).toEqual([]);

    // Every conversation reaches the agent, none is left waiting or half-offered.
    const conversations = await waitFor(
      async () => {
        const rows = await db.selectFrom('conversations').select(['state', 'agent_id']).execute();
        return rows.length === customers && rows.every((r) => r.state === 'connected') ? rows : undefined;
      },
      { what: 'every conversation connected', timeoutMs: 60_000 },
    );
    expect(conversations.every((r) => r.agent_id === 'ines')).toBe(true);
    agent.stop();
  });
});
