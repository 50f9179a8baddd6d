import { describe, expect, it } from 'vitest';
import { AgentDriver } from '../support/agent-driver.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { channel, metricValue, queue, useParley } from '../support/parley.ts';

const tenant = 'acme';

describe('offers', () => {
  const parley = useParley([
    channel(tenant, 'whatsapp', { type: 'whatsapp', queue: 'support' }),
    queue(tenant, 'support', { alertingTimeout: '1s' }),
  ]);

  it('moves an offer that times out to the next agent, through the durable timer', async () => {
    const slow = new AgentDriver(parley().nc, tenant, 'slow');
    const quick = new AgentDriver(parley().nc, tenant, 'quick');
    await slow.configure([], { message: 1 });
    await quick.configure([], { message: 1 });
    await slow.presence('available');
    await quick.presence('available');

    await new CustomerDriver(parley().nc, tenant, 'whatsapp', { id: '+33633333333', idType: 'phone' }).say('Anyone there?');
    const missed = await slow.next('offer.created');
    const revoked = await slow.next('offer.revoked');
    expect(revoked).toMatchObject({ offerId: missed.offerId, reason: 'timeout' });
    const conversationId = await quick.acceptNextOffer();
    expect(conversationId).toBe(missed.conversationId);

    const assignments = await parley().store.db.selectFrom('assignments').select(['agent_id', 'state']).where('conversation_id', '=', conversationId).orderBy('offered_at').execute();
    expect(assignments).toEqual([
      { agent_id: 'slow', state: 'timeout' },
      { agent_id: 'quick', state: 'accepted' },
    ]);
    expect(await metricValue(parley().registry, 'parley_assignments_total')).toBe(1);
    slow.stop();
    quick.stop();
  });

  it('gives a rejected offer to the next agent, and answers an accept of the stale offer with offerNotFound', async () => {
    // The agents of the previous test leave, so only these two can take the conversation.
    await new AgentDriver(parley().nc, tenant, 'slow').presence('offline');
    await new AgentDriver(parley().nc, tenant, 'quick').presence('offline');
    const first = new AgentDriver(parley().nc, tenant, 'first');
    const second = new AgentDriver(parley().nc, tenant, 'second');
    await first.configure([], { message: 1 });
    await second.configure([], { message: 1 });
    await first.presence('available');
    await second.presence('available');

    await new CustomerDriver(parley().nc, tenant, 'whatsapp', { id: '+33644444444', idType: 'phone' }).say('Hello');
    const rejected = await first.next('offer.created');
    expect((await first.command({ type: 'offer.reject', offerId: rejected.offerId })).ok).toBe(true);
    const conversationId = await second.acceptNextOffer();
    expect(conversationId).toBe(rejected.conversationId);

    const late = await first.command({ type: 'offer.accept', offerId: rejected.offerId });
    expect(late).toMatchObject({ ok: false, error: { code: 'offerNotFound' } });
    const assignments = await parley().store.db.selectFrom('assignments').select(['agent_id', 'state']).where('conversation_id', '=', conversationId).orderBy('offered_at').execute();
    expect(assignments).toEqual([
      { agent_id: 'first', state: 'rejected' },
      { agent_id: 'second', state: 'accepted' },
    ]);
    first.stop();
    second.stop();
  });
});
