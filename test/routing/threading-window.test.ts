import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { channel, queue, startParley, type RunningParley } from '../support/parley.ts';
import { customerHistory } from '../../src/store/index.ts';

const tenant = 'acme';
const minute = 60_000;

describe('threading window and returning customers', () => {
  let services: TestServices;
  let parley: RunningParley;
  let alice: AgentDriver;
  let bob: AgentDriver;

  beforeAll(async () => {
    services = await startTestServices();
    parley = await startParley(services.natsUrl, services.databaseUrl, [
      // The shortest window: message times may differ from the receive time by 5 minutes
      // at most (contract.md §12), so a test cannot stamp its messages days apart.
      channel(tenant, 'whatsapp', { type: 'whatsapp', queue: 'support', threadingWindow: '1m' }),
      channel(tenant, 'sms', { type: 'sms', queue: 'support', threadingWindow: '72h' }),
      queue(tenant, 'support', { skills: ['support'] }),
    ]);
    alice = new AgentDriver(parley.nc, tenant, 'alice');
    bob = new AgentDriver(parley.nc, tenant, 'bob');
    await alice.configure(['support'], { message: 4, sms: 4 });
    await bob.configure(['support'], { message: 4, sms: 4 });
  });

  afterAll(async () => {
    alice?.stop();
    bob?.stop();
    await parley?.stop();
    await services?.stop();
  });

  /** The offer of this conversation, to whichever agent it goes. */
  const offerFor = (conversationId: string) =>
    Promise.any([alice, bob].map((a) => a.next('offer.created', (e) => e.conversationId === conversationId)));

  const conversationOf = (externalId: string) =>
    waitFor(() => parley.store.db.selectFrom('conversations').select('id').where('external_id', '=', externalId).where('state', '<>', 'closed').executeTakeFirst(), {
      what: `a conversation for ${externalId}`,
    });

  const conversation = (id: string) => parley.store.db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('brings a returning customer back to the last agent inside the window, and starts a new conversation after it', async () => {
    await alice.presence('available');
    const t0 = Date.now();
    const customer = new CustomerDriver(parley.nc, tenant, 'whatsapp', { id: '+447700900123', idType: 'phone' });
    await customer.say('My parcel is late', { timestamp: new Date(t0).toISOString() });
    const first = await alice.acceptNextOffer();
    await alice.reply(first, 'Sorry! Checking now.');
    expect((await alice.close(first)).ok).toBe(true);
    expect(await conversation(first)).toMatchObject({ state: 'parked', agent_id: null });

    // Bob is now idle longest, yet the returning customer goes back to Alice.
    await bob.presence('available');
    await customer.say('Any news?', { timestamp: new Date(t0 + minute / 2).toISOString() });
    const offer = await alice.next('offer.created');
    expect(offer.conversationId).toBe(first);
    await alice.command({ type: 'offer.accept', offerId: offer.offerId });
    expect(await conversation(first)).toMatchObject({ state: 'connected', agent_id: 'alice' });
    expect(bob.pending('offer.created')).toHaveLength(0);
    await alice.close(first);

    // Past the window after the last message: the old conversation closes, a new one starts.
    await customer.say('Hello again', { timestamp: new Date(Date.now() + 3 * minute).toISOString() });
    const second = await waitFor(
      async () => {
        const rows = await parley.store.db.selectFrom('conversations').select(['id', 'state']).where('id', '<>', first).execute();
        return rows[0];
      },
      { what: 'a second conversation' },
    );
    expect(second.id).not.toBe(first);
    expect(await conversation(first)).toMatchObject({ state: 'closed' });
    await offerFor(second.id);

    // Whoever gets it sees the earlier conversation's messages too.
    const history = await customerHistory(parley.store.db, tenant, (await conversation(second.id)).customer_id);
    expect(history.map((m) => m.text)).toEqual(['My parcel is late', 'Sorry! Checking now.', 'Any news?', 'Hello again']);
    expect(new Set(history.map((m) => m.conversation_id))).toEqual(new Set([first, second.id]));
  });

  it('recognizes the same customer across channels by phone number', async () => {
    const phone = '+14155550100';
    await new CustomerDriver(parley.nc, tenant, 'sms', { id: phone, idType: 'phone' }).say('Texting you');
    await new CustomerDriver(parley.nc, tenant, 'whatsapp', { id: 'US.13491208655302741918', idType: 'opaque', phone }).say('Now on WhatsApp');
    const rows = await waitFor(
      async () => {
        const r = await parley.store.db
          .selectFrom('messages')
          .select(['customer_id', 'channel'])
          .where('text', 'in', ['Texting you', 'Now on WhatsApp'])
          .execute();
        return r.length === 2 ? r : undefined;
      },
      { what: 'both messages stored' },
    );
    expect(rows[0]?.customer_id).toBe(rows[1]?.customer_id);
    expect(new Set(rows.map((r) => r.channel))).toEqual(new Set(['sms', 'whatsapp']));
  });

  it('closes a parked conversation when its window passes, through the durable timer', async () => {
    const customer = new CustomerDriver(parley.nc, tenant, 'whatsapp', { id: '+33699999999', idType: 'phone' });
    // Sent a minute minus one second ago: the window ends a second from now.
    await customer.say('Quick question', { timestamp: new Date(Date.now() - minute + 1_000).toISOString() });
    const { id } = await conversationOf('phone:+33699999999');
    const offer = await offerFor(id);
    const agent = offer.agentId === 'alice' ? alice : bob;
    expect((await agent.command({ type: 'offer.accept', offerId: offer.offerId })).ok).toBe(true);
    expect((await agent.close(offer.conversationId)).ok).toBe(true);
    const closed = await waitFor(
      async () => {
        const row = await conversation(offer.conversationId);
        return row.state === 'closed' ? row : undefined;
      },
      { what: 'the window timer to close the conversation', timeoutMs: 15_000 },
    );
    expect(closed.closed_at).not.toBeNull();
    const timers = await parley.store.db.selectFrom('timers').selectAll().where('actor_id', '=', offer.conversationId).execute();
    expect(timers).toHaveLength(0);
  });
});
