import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/services.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { channel, queue, useParley } from '../support/parley.ts';
import { conversationOfPhone } from '../support/awaits.ts';

const tenant = 'acme';

describe('escalation, transfers and wrap-up', () => {
  const parley = useParley([
    channel(tenant, 'whatsapp', { type: 'whatsapp', queue: 'sales', inboundFlow: { rules: [{ match: { keywords: ['invoice'] }, set: { queue: 'billing' } }] } }),
    // Nobody has the sales skill: the single ring lasts a second, then anyone may take it.
    queue(tenant, 'sales', { skills: ['sales'], bullseye: { rings: [{ wait: '1s' }], whenExhausted: 'anyone' } }),
    queue(tenant, 'billing', {
      skills: ['billing'],
      wrapUp: { codes: [{ code: 'resolved', label: 'Resolved' }], afterWork: '1s' },
      maxDepth: 1,
      overflow: { queue: 'spill' },
    }),
    queue(tenant, 'spill'),
  ]);

  const conversationOf = (phone: string) => conversationOfPhone(parley().store.db, phone);

  it('relaxes the requirements when the bullseye ring expires, through a durable timer', async () => {
    const generalist = new AgentDriver(parley().nc, tenant, 'generalist');
    await generalist.configure(['support'], { message: 2 });
    await generalist.presence('available');
    await new CustomerDriver(parley().nc, tenant, 'whatsapp', { id: '+33611110001', idType: 'phone' }).say('I want to buy');
    const offer = await generalist.next('offer.created');
    const row = await conversationOf('+33611110001');
    expect(offer.conversationId).toBe(row.id);
    expect((row.snapshot as { context: { ring: number } }).context.ring).toBe(1);
    generalist.stop();
  });

  it('transfers blind to another queue, requires a wrap-up code there, and keeps the slot busy during after-work', async () => {
    const generalist = new AgentDriver(parley().nc, tenant, 'generalist');
    const biller = new AgentDriver(parley().nc, tenant, 'biller');
    await biller.configure(['billing'], { message: 1 });
    await biller.presence('available');
    await new CustomerDriver(parley().nc, tenant, 'whatsapp', { id: '+33611110005', idType: 'phone' }).say('I want to buy, and then pay');
    const { id } = await conversationOf('+33611110005');
    const offer = await generalist.next('offer.created', (e) => e.conversationId === id);
    expect((await generalist.command({ type: 'offer.accept', offerId: offer.offerId })).ok).toBe(true);

    expect((await generalist.command({ type: 'conversation.transfer', conversationId: id, to: { queue: 'billing' } })).ok).toBe(true);
    const transferred = await biller.next('offer.created', (e) => e.conversationId === id);
    // The first offer said nothing of a transfer; this one says who handed it over.
    expect(offer.transferredBy).toBeUndefined();
    expect(transferred.transferredBy).toEqual({ agentId: 'generalist' });
    expect((await biller.command({ type: 'offer.accept', offerId: transferred.offerId })).ok).toBe(true);
    expect((await conversationOf('+33611110005')).queue).toBe('billing');
    const generalistOffer = await parley().store.db.selectFrom('assignments').select('state').where('id', '=', offer.offerId).executeTakeFirstOrThrow();
    expect(generalistOffer.state).toBe('ended');

    expect(await biller.close(id)).toMatchObject({ ok: false, error: { code: 'wrapUpRequired' } });
    expect(await biller.command({ type: 'conversation.close', conversationId: id, wrapUpCode: 'nope' })).toMatchObject({ ok: false, error: { code: 'invalidWrapUpCode' } });
    expect((await biller.command({ type: 'conversation.close', conversationId: id, wrapUpCode: 'resolved' })).ok).toBe(true);
    const ended = await waitFor(
      async () => {
        const row = await parley().store.db.selectFrom('assignments').select(['state', 'wrap_up_code']).where('id', '=', transferred.offerId).executeTakeFirstOrThrow();
        return row.state === 'ended' ? row : undefined;
      },
      { what: 'the assignment to end' },
    );
    expect(ended.wrap_up_code).toBe('resolved');

    // After-work holds the only slot: a new billing conversation is offered only once it ends.
    await new CustomerDriver(parley().nc, tenant, 'whatsapp', { id: '+33611110006', idType: 'phone' }).say('my invoice is wrong');
    const next = await biller.next('offer.created', (e) => e.conversationId !== id);
    expect(next.conversationId).toBe((await conversationOf('+33611110006')).id);
    const closedAt = await parley().store.db.selectFrom('assignments').select('ended_at').where('id', '=', transferred.offerId).executeTakeFirstOrThrow();
    const offeredAt = await parley().store.db.selectFrom('assignments').select('offered_at').where('id', '=', next.offerId).executeTakeFirstOrThrow();
    expect(offeredAt.offered_at.getTime() - (closedAt.ended_at as Date).getTime()).toBeGreaterThanOrEqual(1_000);
    expect((await biller.command({ type: 'offer.accept', offerId: next.offerId })).ok).toBe(true);
    generalist.stop();
    biller.stop();
  });

  it('sends a new conversation to the overflow queue when its queue is at maximum depth', async () => {
    // Nobody takes billing now; it holds one waiting conversation at most.
    const biller = new AgentDriver(parley().nc, tenant, 'biller');
    await biller.presence('away');
    await new CustomerDriver(parley().nc, tenant, 'whatsapp', { id: '+33611110003', idType: 'phone' }).say('invoice question');
    expect((await conversationOf('+33611110003')).queue).toBe('billing');
    await new CustomerDriver(parley().nc, tenant, 'whatsapp', { id: '+33611110004', idType: 'phone' }).say('another invoice');
    expect((await conversationOf('+33611110004')).queue).toBe('spill');
    biller.stop();
  });
});
