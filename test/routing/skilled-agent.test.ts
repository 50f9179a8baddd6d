import { describe, expect, it } from 'vitest';
import { AgentDriver } from '../support/agent-driver.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { channel, outboundReader, queue, useParley } from '../support/parley.ts';
import { customerHistory } from '../../src/store/index.ts';
import { ParleyClient, signToken, startGateway } from '../../src/gateway/index.ts';

const tenant = 'acme';

describe('a message travels from a channel to a skilled agent and back', () => {
  const parley = useParley([
    channel(tenant, 'whatsapp', { type: 'whatsapp', queue: 'support', inboundFlow: { rules: [{ match: { keywords: ['refund'] }, set: { skills: ['billing'] } }] } }),
    queue(tenant, 'support', { skills: ['support'] }),
  ]);

  it('assigns the conversation to the agent with the required skills, publishes the reply and stores the history', async () => {
    const unskilled = new AgentDriver(parley().nc, tenant, 'nadia');
    const skilled = new AgentDriver(parley().nc, tenant, 'bruno');
    await unskilled.configure(['support'], { message: 4 });
    await skilled.configure(['support', 'billing'], { message: 4 });
    // The unskilled agent is available first, so she is idle longest: skills must still win.
    await unskilled.presence('available');
    await skilled.presence('available');
    const outbound = await outboundReader(parley().nc, 'test-adapter');

    const customer = new CustomerDriver(parley().nc, tenant, 'whatsapp', { id: '+33612345678', idType: 'phone', name: 'Camille' });
    await customer.say('Hello, I want a refund for my order');

    const conversationId = await skilled.acceptNextOffer();
    const reply = await skilled.reply(conversationId, 'Of course, let me look at it.');
    expect(reply.ok).toBe(true);

    const sent = await outbound.next();
    expect(sent).toMatchObject({ tenant, channel: 'whatsapp', conversationId, agentId: 'bruno', text: 'Of course, let me look at it.', to: { id: '+33612345678', idType: 'phone' } });
    expect(unskilled.pending('offer.created')).toHaveLength(0);

    const row = await parley().store.db.selectFrom('conversations').selectAll().where('id', '=', conversationId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'connected', agent_id: 'bruno' });
    const history = await customerHistory(parley().store.db, tenant, row.customer_id);
    expect(history.map((m) => [m.direction, m.text])).toEqual([
      ['inbound', 'Hello, I want a refund for my order'],
      ['outbound', 'Of course, let me look at it.'],
    ]);
    unskilled.stop();
    skilled.stop();
  });

  it('explains through the agent API why the agent was chosen', async () => {
    const secret = 'test-secret';
    const gateway = await startGateway({ nc: parley().nc, db: parley().store.db, secret, registry: parley().registry });
    try {
      const supervisor = new ParleyClient({ baseUrl: gateway.url, token: signToken(secret, { sub: 'sam', tenant, role: 'supervisor' }) });
      const row = await parley().store.db.selectFrom('conversations').select('id').where('agent_id', '=', 'bruno').executeTakeFirstOrThrow();
      const { assignments } = await supervisor.assignments(row.id);
      expect(assignments).toHaveLength(1);
      // Nadia was available and idle longer, but lacks billing: one candidate only.
      expect(assignments[0]).toMatchObject({ agentId: 'bruno', queue: 'support', state: 'accepted', reason: { method: 'longest-idle', candidates: 1 } });
    } finally {
      await gateway.close();
    }
  });
});
