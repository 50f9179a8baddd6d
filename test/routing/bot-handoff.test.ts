import type { Subscription } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/services.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { channel, outboundReader, queue, useParley } from '../support/parley.ts';
import type { BotAnswer, BotRequest } from '../../src/contract/index.ts';

const tenant = 'acme';

/** A bot on NATS request/reply: asks for the order number, then hands off to billing. */
function startBot(nc: ReturnType<ReturnType<typeof useParley>>['nc'], subject: string, seen: BotRequest[]): Subscription {
  return nc.subscribe(subject, {
    callback: (_err, msg) => {
      const request = msg.json<BotRequest>();
      seen.push(request);
      const order = /#(\d+)/.exec(request.message.text ?? '')?.[1];
      const answer: BotAnswer = order
        ? { action: 'handoff', queue: 'billing', skills: ['refunds'], priority: 5, attributes: { order } }
        : { action: 'reply', text: 'Which order is it about? (e.g. #1042)', attributes: { intent: 'refund' } };
      msg.respond(JSON.stringify(answer));
    },
  });
}

describe('bot hand-off', () => {
  const parley = useParley([
    channel(tenant, 'web', { type: 'web', queue: 'support', inboundFlow: { bot: { subject: 'bots.acme.triage', timeout: '2s' } } }),
    channel(tenant, 'line', { type: 'line', queue: 'support', inboundFlow: { bot: { subject: 'bots.acme.nobody', timeout: '200ms' } } }),
    queue(tenant, 'support'),
    queue(tenant, 'billing', { skills: ['billing'] }),
  ]);

  it('lets the bot talk to the customer, then routes with what it collected', async () => {
    const seen: BotRequest[] = [];
    const bot = startBot(parley().nc, 'bots.acme.triage', seen);
    const outbound = await outboundReader(parley().nc, 'bot-test');
    const agent = new AgentDriver(parley().nc, tenant, 'bea');
    await agent.configure(['billing', 'refunds'], { webchat: 2 });
    await agent.presence('available');
    const customer = new CustomerDriver(parley().nc, tenant, 'web', { id: 'visitor-7', idType: 'opaque' });

    await customer.say('I want a refund');
    const botReply = await outbound.next();
    expect(botReply).toMatchObject({ text: 'Which order is it about? (e.g. #1042)' });
    expect(botReply.agentId).toBeUndefined();
    expect(agent.pending('offer.created')).toHaveLength(0);

    await customer.say('It is order #1042');
    const offer = await agent.next('offer.created');
    const row = await parley().store.db.selectFrom('conversations').select(['queue', 'snapshot']).where('id', '=', offer.conversationId).executeTakeFirstOrThrow();
    expect(row.queue).toBe('billing');
    expect((row.snapshot as { context: unknown }).context).toMatchObject({ skills: ['refunds'], priority: 5, attributes: { intent: 'refund', order: '1042' } });
    expect(seen.map((r) => r.attributes)).toEqual([{}, { intent: 'refund' }]);
    // The agent sees the bot's side of the conversation in the history.
    const history = await parley().store.db.selectFrom('messages').select(['direction', 'text']).where('conversation_id', '=', offer.conversationId).orderBy('sent_at').execute();
    expect(history.map((m) => m.direction)).toEqual(['inbound', 'outbound', 'inbound']);
    bot.unsubscribe();
    agent.stop();
  });

  it('hands the conversation to an agent when the bot does not answer', async () => {
    const agent = new AgentDriver(parley().nc, tenant, 'sol');
    await agent.configure([], { message: 2 });
    await agent.presence('available');
    await new CustomerDriver(parley().nc, tenant, 'line', { id: 'U123', idType: 'opaque' }).say('hello?');
    const offer = await agent.next('offer.created');
    const row = await waitFor(() => parley().store.db.selectFrom('conversations').select(['channel', 'queue']).where('id', '=', offer.conversationId).executeTakeFirst(), { what: 'the conversation' });
    expect(row).toEqual({ channel: 'line', queue: 'support' });
    agent.stop();
  });
});
