import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordOptOut } from '../../src/compliance/index.ts';
import type { Role } from '../../src/gateway/index.ts';
import { agentSnapshot } from '../../src/store/index.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { channel, outboundReader, queue, startParley, type RunningParley } from '../support/parley.ts';
import { waitFor } from '../support/services.ts';
import { OTHER_TENANT, TENANT, startFixture, type GatewayFixture } from './fixture.ts';

/** `POST /v1/conversations` against a real router: an agent starts a conversation with a customer. */
describe('an agent starts an outbound conversation', () => {
  let fx: GatewayFixture;
  let parley: RunningParley;
  let ana: AgentDriver;
  let sam: AgentDriver;

  beforeAll(async () => {
    fx = await startFixture({ commandTimeoutMs: 10_000 });
    parley = await startParley(fx.services.natsUrl, fx.services.databaseUrl, [
      channel(TENANT, 'sms', { type: 'sms', queue: 'support' }),
      channel(TENANT, 'whatsapp', { type: 'whatsapp', queue: 'support' }),
      channel(TENANT, 'web', { type: 'web', queue: 'support' }),
      queue(TENANT, 'support'),
      channel(OTHER_TENANT, 'sms', { type: 'sms', queue: 'secret' }),
      queue(OTHER_TENANT, 'secret'),
    ]);
    ana = new AgentDriver(parley.nc, TENANT, 'ana');
    await ana.configure([], { sms: 1, message: 2 });
    await ana.presence('available');
    // A supervisor who also works as an agent, with no slot for messaging.
    sam = new AgentDriver(parley.nc, TENANT, 'sam');
    await sam.configure([], { email: 1 });
    await sam.presence('available');
  });

  afterAll(async () => {
    ana?.stop();
    sam?.stop();
    await parley?.stop();
    await fx?.stop();
  });

  const start = async (body: Record<string, unknown>, sub = 'ana', role: Role = 'agent', tenant = TENANT) => {
    const res = await fetch(`${fx.gateway.url}/v1/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fx.token(sub, role, tenant)}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  const conversation = (id: string) => parley.store.db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
  /** How the supervisor's interactions view and the conversation's timeline show its direction. */
  const directionOf = async (id: string, customer: string) => {
    const headers = { authorization: `Bearer ${fx.token('sam', 'supervisor')}` };
    const list = (await (await fetch(`${fx.gateway.url}/v1/interactions?customer=${encodeURIComponent(customer)}`, { headers })).json()) as { interactions: { id: string; direction: string }[] };
    const outbound = (await (await fetch(`${fx.gateway.url}/v1/interactions?customer=${encodeURIComponent(customer)}&direction=outbound`, { headers })).json()) as { interactions: { id: string }[] };
    const timeline = (await (await fetch(`${fx.gateway.url}/v1/interactions/${id}/timeline`, { headers })).json()) as { entries: { kind: string; direction?: string }[] };
    return {
      row: list.interactions.find((i) => i.id === id)?.direction,
      filteredAsOutbound: outbound.interactions.some((i) => i.id === id),
      timeline: timeline.entries.find((e) => e.kind === 'created')?.direction,
    };
  };

  it('creates the conversation in the agent’s hands, sends the first message and brings the customer’s reply back to the agent', async () => {
    const outbound = await outboundReader(parley.nc, 'start-conversation-test');
    const { status, body } = await start({ channel: 'sms', to: { id: '+33612000001', idType: 'phone' }, text: 'Hello, your order is ready.' });
    expect(status).toBe(201);
    const conversationId = body.conversationId as string;
    expect(body.messageId).toEqual(expect.any(String));

    // In the agent's hands at once: connected, no queue wait, no offer; a slot of its SMS capacity.
    expect(await conversation(conversationId)).toMatchObject({ state: 'connected', agent_id: 'ana' });
    const assigned = await ana.next('conversation.assigned', (e) => e.conversationId === conversationId);
    expect(assigned.conversationId).toBe(conversationId);
    expect(ana.pending('offer.created')).toHaveLength(0);
    const agentRow = await parley.store.db.selectFrom('agents').select(agentSnapshot().as('snapshot')).where('tenant', '=', TENANT).where('id', '=', 'ana').executeTakeFirstOrThrow();
    const active = (agentRow.snapshot as { context: { active: { conversationId: string; mediaType: string }[] } }).context.active;
    expect(active).toEqual([expect.objectContaining({ conversationId, mediaType: 'sms' })]);

    // The message goes out through the normal outbound path, and into the history.
    const sent = await outbound.next();
    expect(sent).toMatchObject({ id: body.messageId, tenant: TENANT, channel: 'sms', conversationId, agentId: 'ana', to: { id: '+33612000001', idType: 'phone' }, text: 'Hello, your order is ready.' });

    // The customer's reply joins that conversation and reaches the agent.
    await new CustomerDriver(parley.nc, TENANT, 'sms', { id: '+33612000001', idType: 'phone' }).say('Great, thanks!');
    const reply = await ana.next('conversation.message', (e) => e.conversationId === conversationId);
    expect(reply.message).toMatchObject({ direction: 'inbound', text: 'Great, thanks!' });

    // The agent reads it like any conversation of theirs.
    const read = await fetch(`${fx.gateway.url}/v1/conversations/${conversationId}/history`, { headers: { authorization: `Bearer ${fx.token('ana', 'agent')}` } });
    expect(read.status).toBe(200);
    const history = (await read.json()) as { messages: { direction: string; text?: string }[] };
    expect(history.messages.map((m) => [m.direction, m.text])).toEqual([
      ['outbound', 'Hello, your order is ready.'],
      ['inbound', 'Great, thanks!'],
    ]);

    // Parley wrote first: outbound in the interactions view (row, filter and timeline).
    expect(await directionOf(conversationId, '+33612000001')).toEqual({ row: 'outbound', filteredAsOutbound: true, timeline: 'outbound' });

    // Its SMS slot is taken: a second SMS conversation is refused; ending the first frees it.
    const full = await start({ channel: 'sms', to: { id: '+33612000002', idType: 'phone' }, text: 'Hi' });
    expect(full).toMatchObject({ status: 409, body: { type: 'agentAtCapacity' } });
    await ana.close(conversationId);
    await waitFor(async () => ((await start({ channel: 'sms', to: { id: '+33612000003', idType: 'phone' }, text: 'Hi' })).status === 201 ? true : undefined), {
      what: 'a free SMS slot after closing',
    });
  });

  it('refuses a customer who opted out, and says so', async () => {
    await recordOptOut(parley.store.db, { tenant: TENANT, address: '+33612000009', method: 'api', source: 'test' });
    const refused = await start({ channel: 'sms', to: { id: '+33612000009', idType: 'phone' }, text: 'Hello' });
    expect(refused).toMatchObject({ status: 409, body: { type: 'customerOptedOut' } });
    expect(await parley.store.db.selectFrom('conversations').select('id').where('external_id', '=', 'phone:+33612000009').execute()).toEqual([]);
  });

  it('refuses a channel that does not allow it, and free text outside the WhatsApp window', async () => {
    expect(await start({ channel: 'web', to: { id: randomUUID(), idType: 'opaque' }, text: 'Hello' })).toMatchObject({ status: 422, body: { type: 'outboundNotAllowed' } });
    expect(await start({ channel: 'whatsapp', to: { id: '+33612000010', idType: 'phone' }, text: 'Hello' })).toMatchObject({ status: 422, body: { type: 'outsideWindow' } });
    expect(await start({ channel: 'nope', to: { id: '+33612000010', idType: 'phone' }, text: 'Hello' })).toMatchObject({ status: 404, body: { type: 'unknownChannel' } });
    expect(await start({ channel: 'sms', text: 'Hello' })).toMatchObject({ status: 400, body: { type: 'invalidEnvelope' } });
  });

  it('continues a known customer’s parked WhatsApp conversation (by customer id) within the 24 h window', async () => {
    const customer = new CustomerDriver(parley.nc, TENANT, 'whatsapp', { id: '+33612000020', idType: 'phone' });
    await customer.say('Hi, question later');
    const earlier = await waitFor(async () => parley.store.db.selectFrom('conversations').selectAll().where('external_id', '=', 'phone:+33612000020').executeTakeFirst(), {
      what: 'the customer’s first conversation',
    });
    // A supervisor may name any customer of the tenant, but the conversation is open (waiting in a queue).
    expect(await start({ channel: 'whatsapp', customerId: earlier.customer_id, text: 'Hello' }, 'sam', 'supervisor')).toMatchObject({ status: 409, body: { type: 'conversationInProgress' } });

    const offered = await ana.acceptNextOffer();
    expect(offered).toBe(earlier.id);
    await ana.close(offered);
    await waitFor(async () => ((await conversation(offered))?.state === 'parked' ? true : undefined), { what: 'the conversation parked' });
    // Sam has no messaging slot: refused, and the conversation goes back to waiting for the customer.
    expect(await start({ channel: 'whatsapp', customerId: earlier.customer_id, text: 'Hello' }, 'sam', 'supervisor')).toMatchObject({ status: 409, body: { type: 'agentAtCapacity' } });
    expect(await conversation(offered)).toMatchObject({ state: 'parked', agent_id: null });
    // Somebody who is no agent at all.
    expect(await start({ channel: 'whatsapp', customerId: earlier.customer_id, text: 'Hello' }, 'gus', 'supervisor')).toMatchObject({ status: 404, body: { type: 'unknownAgent' } });

    const { status, body } = await start({ channel: 'whatsapp', customerId: earlier.customer_id, text: 'Hello again, about your question' });
    expect(status).toBe(201);
    // The parked conversation continues in her hands (the customer's reply would join it anyway).
    expect(body.conversationId).toBe(earlier.id);
    expect(await conversation(earlier.id)).toMatchObject({ state: 'connected', agent_id: 'ana' });
    await customer.say('Yes?');
    const reply = await ana.next('conversation.message', (e) => e.conversationId === earlier.id && e.message.text === 'Yes?');
    expect(reply.message.direction).toBe('inbound');
    // The customer wrote first: continuing it does not make it outbound.
    expect(await directionOf(earlier.id, '+33612000020')).toEqual({ row: 'inbound', filteredAsOutbound: false, timeline: 'inbound' });
  });

  describe('roles and tenant isolation', () => {
    it('an admin takes no conversations (403); no token is 401', async () => {
      expect(await start({ channel: 'sms', to: { id: '+33612000030', idType: 'phone' }, text: 'Hi' }, 'root', 'admin')).toMatchObject({ status: 403, body: { type: 'forbidden' } });
      const anonymous = await fetch(`${fx.gateway.url}/v1/conversations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(anonymous.status).toBe(401);
    });

    it('another tenant’s channel and customers are out of reach', async () => {
      // globex has an "sms" channel too: a token of acme starts on acme's, never on globex's.
      const other = new CustomerDriver(parley.nc, OTHER_TENANT, 'sms', { id: '+33612000040', idType: 'phone' });
      await other.say('Hello globex');
      const theirs = await waitFor(async () => parley.store.db.selectFrom('conversations').selectAll().where('tenant', '=', OTHER_TENANT).executeTakeFirst(), { what: 'globex conversation' });
      for (const [sub, role] of [['ana', 'agent'], ['sam', 'supervisor']] as const) {
        expect(await start({ channel: 'sms', customerId: theirs.customer_id, text: 'Hi' }, sub, role)).toMatchObject({ status: 422, body: { type: 'noCustomerAddress' } });
      }
      expect(await start({ channel: 'secret', to: { id: '+33612000041', idType: 'phone' }, text: 'Hi' })).toMatchObject({ status: 404, body: { type: 'unknownChannel' } });
    });
  });
});
