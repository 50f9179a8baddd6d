import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TENANT, startFixture } from './fixture.ts';
import type { GatewayFixture } from './fixture.ts';
import { agentContext, seedAgent, seedConversation, seedCustomer, seedMessage } from './seed.ts';

describe('gateway reads', () => {
  let fx: GatewayFixture;

  beforeAll(async () => {
    fx = await startFixture();
  });

  afterAll(async () => {
    await fx?.stop();
  });

  it('history returns every message of the customer across conversations and channels, in time order', async () => {
    const db = fx.store.db;
    const customerId = await seedCustomer(db, TENANT);
    const otherCustomer = await seedCustomer(db, TENANT);
    const whatsapp = await seedConversation(db, {
      tenant: TENANT,
      customerId,
      channel: 'whatsapp-main',
      agentId: 'alice',
      state: 'closed',
      createdAt: '2026-11-18T10:00:00Z',
      closedAt: '2026-11-18T11:00:00Z',
    });
    const email = await seedConversation(db, { tenant: TENANT, customerId, channel: 'support-mail', agentId: 'alice' });
    const unrelated = await seedConversation(db, { tenant: TENANT, customerId: otherCustomer, channel: 'support-mail' });

    const base = { tenant: TENANT, customerId };
    // Inserted out of order on purpose: the order must come from sent_at.
    await seedMessage(db, { ...base, conversationId: email, channel: 'support-mail', direction: 'inbound', sentAt: '2026-11-20T09:00:00Z', text: 'third' });
    const first = await seedMessage(db, { ...base, conversationId: whatsapp, channel: 'whatsapp-main', direction: 'inbound', sentAt: '2026-11-18T10:00:00Z', text: 'first' });
    await seedMessage(db, {
      ...base,
      conversationId: email,
      channel: 'support-mail',
      direction: 'outbound',
      agentId: 'alice',
      sentAt: '2026-11-20T09:05:00Z',
      text: 'fourth',
      deliveryStatus: 'failed',
      deliveryReason: 'RecipientOptedOut',
    });
    await seedMessage(db, {
      ...base,
      conversationId: whatsapp,
      channel: 'whatsapp-main',
      direction: 'outbound',
      agentId: 'alice',
      sentAt: '2026-11-18T10:01:00Z',
      text: 'second',
      deliveryStatus: 'read',
    });
    await seedMessage(db, {
      tenant: TENANT,
      customerId: otherCustomer,
      conversationId: unrelated,
      channel: 'support-mail',
      direction: 'inbound',
      sentAt: '2026-11-19T00:00:00Z',
      text: 'someone else',
    });

    const history = await fx.client('alice', 'agent').history(email);
    expect(history.customerId).toBe(customerId);
    expect(history.messages.map((m) => [m.text, m.conversationId, m.channel])).toEqual([
      ['first', whatsapp, 'whatsapp-main'],
      ['second', whatsapp, 'whatsapp-main'],
      ['third', email, 'support-mail'],
      ['fourth', email, 'support-mail'],
    ]);
    expect(history.messages[0]).toEqual({
      id: first,
      // The provider's id, for reconciling with the provider (seeded as `pm-<id>`).
      providerMessageId: `pm-${first}`,
      conversationId: whatsapp,
      direction: 'inbound',
      channel: 'whatsapp-main',
      text: 'first',
      sentAt: '2026-11-18T10:00:00.000Z',
    });
    expect(history.messages[1]).toMatchObject({ direction: 'outbound', agentId: 'alice', deliveryStatus: 'read' });
    expect(history.messages[1]).not.toHaveProperty('providerMessageId');
    expect(history.messages[3]).toMatchObject({ deliveryStatus: 'failed', deliveryReason: 'RecipientOptedOut' });
  });

  it('returns a conversation with its timestamps as ISO strings', async () => {
    const db = fx.store.db;
    const customerId = await seedCustomer(db, TENANT);
    const id = await seedConversation(db, {
      tenant: TENANT,
      customerId,
      channel: 'sms-fr',
      agentId: 'bob',
      state: 'closed',
      queue: null,
      createdAt: '2026-11-21T08:00:00Z',
      closedAt: '2026-11-21T08:30:00Z',
    });
    expect(await fx.client('bob', 'agent').getConversation(id)).toEqual({
      id,
      channel: 'sms-fr',
      state: 'closed',
      queue: null,
      agentId: 'bob',
      customerId,
      createdAt: '2026-11-21T08:00:00.000Z',
      lastMessageAt: '2026-11-21T08:00:00.000Z',
      closedAt: '2026-11-21T08:30:00.000Z',
      optedOut: null,
      campaign: null,
    });
  });

  it('computes an agent’s capacity from its snapshot: ringing offers and active conversations', async () => {
    const offer = {
      channel: 'whatsapp',
      channelType: 'whatsapp' as const,
      customerId: randomUUID(),
      offerId: randomUUID(),
      conversationId: randomUUID(),
      mediaType: 'message' as const,
      queue: 'support',
      offeredAt: '2026-11-22T08:00:00.000Z',
      expiresAt: '2026-11-22T08:00:30.000Z',
    };
    const active = [
      { conversationId: randomUUID(), offerId: randomUUID(), mediaType: 'message' as const, since: '2026-11-22T07:00:00.000Z' },
      // Capacity for email was lowered to 0 while this one was running: still shown.
      { conversationId: randomUUID(), offerId: randomUUID(), mediaType: 'email' as const, since: '2026-11-22T07:30:00.000Z' },
    ];
    await seedAgent(
      fx.store.db,
      agentContext(TENANT, 'carol', { name: 'Carol', skills: ['fr', 'billing'], capacity: { message: 3, sms: 1 }, presence: 'away', offers: [offer], active }),
    );

    expect(await fx.client('carol', 'agent').getAgent('carol')).toEqual({
      id: 'carol',
      name: 'Carol',
      skills: ['fr', 'billing'],
      presence: 'away',
      // Seeded without it, like a snapshot written before the agent kept it.
      presenceSince: null,
      capacity: { message: { max: 3, used: 2 }, sms: { max: 1, used: 0 }, email: { max: 0, used: 1 } },
      offers: [offer],
      active,
    });
  });

  it('answers 404 unknownAgent for an agent without a row', async () => {
    await expect(fx.client('root', 'admin').getAgent('nobody')).rejects.toMatchObject({ status: 404, code: 'unknownAgent' });
  });
});
