import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/services.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { channel, queue, useParley } from '../support/parley.ts';

const tenant = 'acme';

describe('capacity per media type', () => {
  const parley = useParley([
    channel(tenant, 'whatsapp', { type: 'whatsapp', queue: 'support' }),
    queue(tenant, 'support', { skills: ['support'] }),
  ]);

  const states = async () => {
    const rows = await parley().store.db.selectFrom('conversations').select(['id', 'state', 'agent_id']).execute();
    return rows;
  };

  it('gives an agent with capacity 2 exactly 2 of 5 simultaneous conversations, and the rest as capacity frees', async () => {
    const agent = new AgentDriver(parley().nc, tenant, 'carla');
    await agent.configure(['support'], { message: 2 });
    await agent.presence('available');

    await Promise.all(
      [1, 2, 3, 4, 5].map((n) => new CustomerDriver(parley().nc, tenant, 'whatsapp', { id: `+3361000000${n}`, idType: 'phone' }).say(`Hello ${n}`)),
    );
    const first = [await agent.acceptNextOffer(), await agent.acceptNextOffer()];
    const waiting = await waitFor(
      async () => {
        const rows = await states();
        return rows.length === 5 && rows.filter((r) => r.state === 'queued').length === 3 ? rows : undefined;
      },
      { what: '3 conversations waiting' },
    );
    expect(waiting.filter((r) => r.state === 'connected').map((r) => r.id).sort()).toEqual([...first].sort());
    // No third offer while both slots are taken.
    expect(agent.pending('offer.created')).toHaveLength(0);

    // Each conversation the agent ends frees a slot for the next one waiting.
    const handled = [...first];
    for (let i = 0; i < 3; i++) {
      await agent.close(handled[i] as string);
      handled.push(await agent.acceptNextOffer());
      const rows = await states();
      expect(rows.filter((r) => r.state === 'connected' || r.state === 'offered').length).toBeLessThanOrEqual(2);
    }
    expect(new Set(handled).size).toBe(5);
    const final = await states();
    expect(final.filter((r) => r.state === 'connected')).toHaveLength(2);
    expect(final.filter((r) => r.state === 'parked')).toHaveLength(3);
    agent.stop();
  });
});
