import { describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager, AckPolicy } from '@nats-io/jetstream';
import { waitFor } from '../support/services.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { channel, metricValue, queue, useParley } from '../support/parley.ts';
import { encode, headers, streams, subjects } from '../../src/contract/index.ts';

const tenant = 'acme';

describe('bad input and redelivery', () => {
  const parley = useParley([
    channel(tenant, 'whatsapp', { type: 'whatsapp', queue: 'support' }),
    queue(tenant, 'support'),
    channel('globex', 'whatsapp', { type: 'whatsapp', queue: 'support' }),
    queue('globex', 'support'),
  ]);

  const deadLetters = async () => {
    const jsm = await jetstreamManager(parley().nc);
    await jsm.consumers.add(streams.deadLetters.name, { durable_name: 'inspect', ack_policy: AckPolicy.Explicit });
    return jetstream(parley().nc).consumers.get(streams.deadLetters.name, 'inspect');
  };

  it('dead-letters a malformed envelope with a reason, counts it, and routes the next good message', async () => {
    const js = jetstream(parley().nc);
    await js.publish(subjects.inbound(tenant, 'whatsapp'), new TextEncoder().encode('{"version":1,"tenant":'));
    await js.publish(subjects.inbound(tenant, 'whatsapp'), encode({ version: 1, tenant, channel: 'whatsapp', messageId: 'm-1', timestamp: 'yesterday', from: { id: 'x', idType: 'phone' }, text: 'hi' }));

    const agent = new AgentDriver(parley().nc, tenant, 'dina');
    await agent.configure([], { message: 1 });
    await agent.presence('available');
    await new CustomerDriver(parley().nc, tenant, 'whatsapp', { id: '+33611111111', idType: 'phone' }).say('A good message');
    const conversationId = await agent.acceptNextOffer();
    expect(conversationId).toBeTruthy();

    const consumer = await deadLetters();
    const first = await consumer.next({ expires: 5_000 });
    const second = await consumer.next({ expires: 5_000 });
    expect(first?.headers?.get(headers.deadLetterReason)).toBe('malformedJson');
    expect(first?.headers?.get(headers.originalSubject)).toBe(subjects.inbound(tenant, 'whatsapp'));
    expect(second?.headers?.get(headers.deadLetterReason)).toBe('invalidEnvelope');
    expect(second?.headers?.get(headers.deadLetterDetail)).toContain('timestamp');
    expect(second?.string()).toContain('"messageId":"m-1"');
    expect(await metricValue(parley().registry, 'parley_dead_letters_total', { source: 'inbound' })).toBe(2);
    agent.stop();
  });

  it('dead-letters a message for a channel that is not configured', async () => {
    await new CustomerDriver(parley().nc, tenant, 'telegram', { id: '42', idType: 'opaque' }).say('hello?');
    await waitFor(async () => ((await metricValue(parley().registry, 'parley_dead_letters_total', { reason: 'unknownChannel' })) === 1 ? true : undefined), {
      what: 'the unknown-channel dead letter',
    });
  });

  it('refuses an agent command that arrives long after it was issued', async () => {
    const agent = new AgentDriver(parley().nc, tenant, 'late');
    await agent.configure([], { message: 1 });
    const stale = await agent.command({ type: 'presence.set', presence: 'available', issuedAt: new Date(Date.now() - 5 * 60_000).toISOString() });
    expect(stale).toMatchObject({ ok: false, error: { code: 'commandExpired' } });
    const row = await parley().store.db.selectFrom('agents').select('presence').where('id', '=', 'late').executeTakeFirstOrThrow();
    expect(row.presence).toBe('offline');
    agent.stop();
  });

  it('stores a redelivered message once', async () => {
    const customer = new CustomerDriver(parley().nc, tenant, 'whatsapp', { id: '+33622222222', idType: 'phone' });
    const envelope = await customer.say('Only once please');
    // A second publication with another Nats-Msg-Id gets past JetStream's de-duplication,
    // exactly like a redelivery after a crash before the acknowledgement.
    await jetstream(parley().nc).publish(subjects.inbound(tenant, 'whatsapp'), encode(envelope), { msgID: 'replay-1' });
    await waitFor(async () => ((await metricValue(parley().registry, 'parley_inbound_duplicates_total')) === 1 ? true : undefined), {
      what: 'the duplicate to be recognized',
    });
    const stored = await parley().store.db.selectFrom('messages').selectAll().where('platform_message_id', '=', envelope.messageId).execute();
    expect(stored).toHaveLength(1);
  });

  it("refuses a command on another tenant's conversation as if it did not exist", async () => {
    await new CustomerDriver(parley().nc, 'globex', 'whatsapp', { id: '+33655555555', idType: 'phone' }).say('Globex customer');
    const theirs = await waitFor(() => parley().store.db.selectFrom('conversations').select('id').where('tenant', '=', 'globex').executeTakeFirst(), { what: 'the globex conversation' });
    const intruder = new AgentDriver(parley().nc, tenant, 'mallory');
    await intruder.configure([], { message: 1 });
    for (const body of [
      { type: 'message.send', conversationId: theirs.id, text: 'hello from acme' },
      { type: 'conversation.close', conversationId: theirs.id },
      { type: 'conversation.transfer', conversationId: theirs.id, to: { queue: 'support' } },
    ]) {
      expect(await intruder.command(body)).toMatchObject({ ok: false, error: { code: 'unknownConversation' } });
    }
    const sent = await parley().store.db.selectFrom('messages').select('id').where('conversation_id', '=', theirs.id).where('direction', '=', 'outbound').execute();
    expect(sent).toEqual([]);
    intruder.stop();
  });
});
