import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/services.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { channel, queue, useParley } from '../support/parley.ts';
import { customerHistory } from '../../src/store/index.ts';

const tenant = 'acme';
const minute = 60_000;
const hour = 60 * minute;

/**
 * A provider's clock is not Parley's: a message stamped more than 5 minutes from when
 * JetStream received it is filed under the receive time, with the provider's time kept
 * (contract.md §12).
 */
describe('message times far from the receive time', () => {
  const parley = useParley([
    channel(tenant, 'whatsapp', { type: 'whatsapp', queue: 'support', threadingWindow: '1m' }),
    queue(tenant, 'support', { lastAgent: { mode: 'none' } }),
  ]);

  const db = () => parley().store.db;
  const messageOf = (platformId: string) =>
    waitFor(() => db().selectFrom('messages').select(['conversation_id', 'sent_at', 'provider_sent_at']).where('platform_message_id', '=', platformId).executeTakeFirst(), {
      what: `message ${platformId} stored`,
    });
  const conversation = (id: string) => db().selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('files a message stamped 25 h ahead under its receive time: its conversation neither closes nor ends its window in the future', async () => {
    const agent = new AgentDriver(parley().nc, tenant, 'alice');
    await agent.configure([], { message: 2 });
    await agent.presence('available');
    const customer = new CustomerDriver(parley().nc, tenant, 'whatsapp', { id: '+33600000001', idType: 'phone' });
    await customer.say('First');
    const first = await agent.acceptNextOffer();
    expect((await agent.reply(first, 'Hi')).ok).toBe(true);
    expect((await agent.close(first)).ok).toBe(true);

    // Parked with a 1-minute window that ends a minute from now.
    const stamped = new Date(Date.now() + 25 * hour);
    const ahead = await customer.say('From the future', { timestamp: stamped.toISOString() });
    const stored = await messageOf(ahead.messageId);
    expect(stored.provider_sent_at?.toISOString()).toBe(stamped.toISOString());
    expect(stored.sent_at.getTime()).toBeLessThanOrEqual(Date.now());
    // Inside the window by the receive time: the same conversation goes on.
    expect(stored.conversation_id).toBe(first);
    const row = await conversation(first);
    expect(row.closed_at).toBeNull();
    expect(row.last_message_at.getTime()).toBeLessThanOrEqual(Date.now());
    // Leave nothing waiting for the next tests' agents.
    expect(await agent.acceptNextOffer()).toBe(first);
    expect((await agent.close(first)).ok).toBe(true);
    await agent.presence('offline');
    agent.stop();
  });

  it('closes a conversation whose window a slightly early-stamped message passes no later than that message arrived', async () => {
    const agent = new AgentDriver(parley().nc, tenant, 'bob');
    await agent.configure([], { message: 2 });
    await agent.presence('available');
    const customer = new CustomerDriver(parley().nc, tenant, 'whatsapp', { id: '+33600000002', idType: 'phone' });
    await customer.say('Hello');
    const first = await agent.acceptNextOffer();
    expect((await agent.close(first)).ok).toBe(true);

    // 3 minutes ahead (inside the skew): past the window's end, which is still a minute away.
    const early = await customer.say('Again', { timestamp: new Date(Date.now() + 3 * minute).toISOString() });
    const stored = await messageOf(early.messageId);
    const arrived = Date.now();
    expect(stored.conversation_id).not.toBe(first);
    const closed = await conversation(first);
    expect(closed.state).toBe('closed');
    expect(closed.closed_at?.getTime()).toBeLessThanOrEqual(arrived);
    expect((await agent.close(await agent.acceptNextOffer())).ok).toBe(true);
    await agent.presence('offline');
    agent.stop();
  });

  it('adds a message stamped 48 h ago to the conversation open now, after the messages already in it', async () => {
    const agent = new AgentDriver(parley().nc, tenant, 'carol');
    await agent.configure([], { message: 2 });
    await agent.presence('available');
    const customer = new CustomerDriver(parley().nc, tenant, 'whatsapp', { id: '+33600000003', idType: 'phone' });
    await customer.say('Where is my parcel?');
    const current = await agent.acceptNextOffer();
    expect((await agent.reply(current, 'Looking')).ok).toBe(true);

    const stamped = new Date(Date.now() - 48 * hour);
    const late = await customer.say('(sent two days ago)', { timestamp: stamped.toISOString() });
    const stored = await messageOf(late.messageId);
    expect(stored.conversation_id).toBe(current);
    expect(stored.provider_sent_at?.toISOString()).toBe(stamped.toISOString());
    const history = await customerHistory(db(), tenant, (await conversation(current)).customer_id);
    expect(history.map((m) => m.text)).toEqual(['Where is my parcel?', 'Looking', '(sent two days ago)']);
    agent.stop();
  });
});
