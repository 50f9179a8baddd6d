import { describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { sql } from 'kysely';
import { waitFor } from '../support/services.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { outboundReader } from '../support/parley.ts';
import { channel, metricValue, queue, useParley } from '../support/parley.ts';
import { encode, headers, streams, subjects, type AgentEvent, type CommandResultEvent } from '../../src/contract/index.ts';
import { commandCases, inboundCases, receiptCases, type FuzzCase } from './cases.ts';

const tenant = 'acme';

/**
 * Bad input on the real path: JetStream → router → PostgreSQL. Every payload is either
 * stored once (or answered, for a command) or dead-lettered on its first delivery with
 * the right reason — a data error is never retried — and the router goes on routing.
 */
describe('fuzzed inbound messages, receipts and agent commands', () => {
  const parley = useParley([
    channel(tenant, 'whatsapp', { type: 'whatsapp', queue: 'support' }),
    channel(tenant, 'sms', { type: 'sms', queue: 'support' }),
    queue(tenant, 'support'),
    channel('globex', 'whatsapp', { type: 'whatsapp', queue: 'support' }),
    queue('globex', 'support'),
  ]);

  const consumerInfo = async (stream: string, durable: string) => (await jetstreamManager(parley().nc)).consumers.info(stream, durable);
  const deadLetterCount = async () => (await (await jetstreamManager(parley().nc)).streams.info(streams.deadLetters.name)).state.messages;

  it('stores or answers each good one once, dead-letters each bad one at once with its reason, and never redelivers', async () => {
    const { nc, store, registry } = parley();
    const cases: FuzzCase[] = [...inboundCases(tenant, 'whatsapp'), ...receiptCases(tenant, 'whatsapp'), ...commandCases(tenant)];
    const results = new Map<string, CommandResultEvent>();
    const events = nc.subscribe(subjects.agentEvents(tenant, '*'), {
      callback: (_err, msg) => {
        const event = msg.json<AgentEvent>();
        if (event.type === 'command.result') results.set(event.commandId, event);
      },
    });

    const js = jetstream(nc);
    const bySequence = new Map<string, FuzzCase>();
    for (const c of cases) {
      const ack = await js.publish(c.subject, c.bytes);
      bySequence.set(`dl:${ack.stream}:${ack.seq}`, c);
    }
    const expectedDeadLetters = cases.filter((c) => 'deadLetter' in c.outcome);
    const expectedStored = cases.flatMap((c) => ('stored' in c.outcome ? [c.outcome] : []));
    const expectedAnswers = cases.flatMap((c) => ('answered' in c.outcome ? [c.outcome] : []));
    expect(expectedDeadLetters.length).toBeGreaterThan(120);
    expect(expectedStored.length).toBeGreaterThan(15);

    // Everything taken and settled: nothing pending, nothing waiting for an ack.
    await waitFor(
      async () => {
        const settled = await Promise.all([consumerInfo(streams.inbound.name, 'parley-router-inbound'), consumerInfo(streams.commands.name, 'parley-router-commands')]);
        const done = settled.every((c) => c.num_pending === 0 && c.num_ack_pending === 0);
        return done && (await deadLetterCount()) === expectedDeadLetters.length && expectedAnswers.every((a) => results.has(a.answered)) ? true : undefined;
      },
      { what: 'every fuzzed payload settled', timeoutMs: 60_000 },
    );
    events.unsubscribe();

    // No redelivery: each consumer delivered each stream message exactly once.
    for (const [stream, durable] of [
      [streams.inbound.name, 'parley-router-inbound'],
      [streams.commands.name, 'parley-router-commands'],
    ] as const) {
      const info = await consumerInfo(stream, durable);
      expect(info.num_redelivered, `${durable} redelivered`).toBe(0);
      expect(info.delivered.consumer_seq, `${durable} deliveries`).toBe(info.delivered.stream_seq);
    }

    // Each bad payload once in the dead letters, with its reason and the field at fault.
    const jsm = await jetstreamManager(nc);
    const seen = new Set<string>();
    for (let seq = 1; seq <= expectedDeadLetters.length; seq++) {
      const dead = await jsm.streams.getMessage(streams.deadLetters.name, { seq });
      const id = dead?.header.get(headers.msgId) ?? '';
      const c = bySequence.get(id);
      expect(c, `dead letter ${id}`).toBeDefined();
      if (!c || !('deadLetter' in c.outcome)) throw new Error(`${c?.name ?? id} should not be a dead letter`);
      expect(seen.has(id), `${c.name} dead-lettered twice`).toBe(false);
      seen.add(id);
      expect(dead?.subject).toBe(subjects.deadLetter(c.source));
      expect(dead?.header.get(headers.deadLetterReason), c.name).toBe(c.outcome.deadLetter);
      expect(dead?.header.get(headers.originalSubject)).toBe(c.subject);
      expect(Buffer.from(dead?.data ?? []).equals(Buffer.from(c.bytes)), `${c.name}: the original bytes`).toBe(true);
      if (c.outcome.detail) expect(dead?.header.get(headers.deadLetterDetail), c.name).toContain(c.outcome.detail);
    }
    expect(await metricValue(registry, 'parley_dead_letters_total')).toBe(expectedDeadLetters.length);

    // Each good message stored exactly once; nothing else stored.
    const rows = await store.db.selectFrom('messages').select(['platform_message_id', 'text']).where('direction', '=', 'inbound').execute();
    expect(rows.map((r) => r.platform_message_id).sort()).toEqual(expectedStored.map((s) => s.stored).sort());
    for (const s of expectedStored.filter((e) => e.text !== undefined)) {
      expect(rows.find((r) => r.platform_message_id === s.stored)?.text).toBe(s.text);
    }
    // Commands that passed were carried out (or refused with a result, not a dead letter).
    for (const a of expectedAnswers) expect(results.get(a.answered), a.answered).toMatchObject({ ok: a.ok, ...(a.code && { error: { code: a.code } }) });
    const names = await store.db.selectFrom('agents').select('name').where('tenant', '=', tenant).execute();
    expect(names.map((n) => n.name)).toEqual(expect.arrayContaining(['😀'.repeat(128), 'Bruno\ufffd']));
    expect(parley().router.healthy()).toBe(true);
  });

  it('routes the next good message, and stores a receipt whose reason needed U+FFFD', async () => {
    const { nc, store } = parley();
    // SMS capacity only: the fuzzed WhatsApp conversations waiting in the queue are not for this agent.
    const agent = new AgentDriver(nc, tenant, 'dina');
    await agent.configure([], { sms: 1 });
    await agent.presence('available');
    const envelope = await new CustomerDriver(nc, tenant, 'sms', { id: '+33611111111', idType: 'phone' }).say('A good message after all that');
    const conversationId = await agent.acceptNextOffer();
    const stored = await store.db.selectFrom('messages').select('conversation_id').where('platform_message_id', '=', envelope.messageId).executeTakeFirstOrThrow();
    expect(stored.conversation_id).toBe(conversationId);

    expect((await agent.reply(conversationId, 'Hello!')).ok).toBe(true);
    const outbound = await (await outboundReader(nc, 'fuzz-sms-gateway')).next();
    const receipt = { version: 1, tenant, channel: 'sms', messageId: outbound.id, status: 'failed', timestamp: new Date().toISOString(), reason: 'Carrier\ud800' };
    await jetstream(nc).publish(subjects.receipts(tenant, 'sms'), encode(receipt));
    const row = await waitFor(
      async () => {
        const r = await store.db.selectFrom('messages').select(['delivery_status', 'delivery_reason']).where('id', '=', outbound.id).executeTakeFirst();
        return r?.delivery_status === 'failed' ? r : undefined;
      },
      { what: 'the failed receipt applied' },
    );
    expect(row.delivery_reason).toBe('Carrier\ufffd');
    agent.stop();
  });

  it('dead-letters a value PostgreSQL refuses (SQLSTATE class 23) at its first delivery, with the server\'s reason', async () => {
    const { nc, store } = parley();
    // A rule only the database knows: the contract lets the text through, the insert fails.
    await sql`ALTER TABLE messages ADD CONSTRAINT fuzz_no_poison CHECK (text IS DISTINCT FROM 'poison')`.execute(store.db);
    try {
      const deadBefore = await deadLetterCount();
      const customer = new CustomerDriver(nc, tenant, 'whatsapp', { id: 'poisoner', idType: 'opaque' });
      await customer.say('poison');
      await waitFor(async () => ((await deadLetterCount()) === deadBefore + 1 ? true : undefined), { what: 'the refused message dead-lettered' });
      const dead = await (await jetstreamManager(nc)).streams.getMessage(streams.deadLetters.name, { last_by_subj: subjects.deadLetter('inbound') });
      expect(dead?.header.get(headers.deadLetterReason)).toBe('invalidEnvelope');
      expect(dead?.header.get(headers.deadLetterDetail)).toContain('violates check constraint "fuzz_no_poison"');
      const info = await consumerInfo(streams.inbound.name, 'parley-router-inbound');
      expect(info.delivered.consumer_seq).toBe(info.delivered.stream_seq);
      const next = await customer.say('antidote');
      await waitFor(() => store.db.selectFrom('messages').select('id').where('platform_message_id', '=', next.messageId).executeTakeFirst(), { what: 'the next message stored' });
    } finally {
      await sql`ALTER TABLE messages DROP CONSTRAINT fuzz_no_poison`.execute(store.db);
    }
  });

  it('never sees a message over max_payload: the publisher gets the error, and no dead letter is written', async () => {
    const { nc } = parley();
    const jsm = await jetstreamManager(nc);
    const before = (await jsm.streams.info(streams.inbound.name)).state.messages;
    const deadBefore = await deadLetterCount();
    const huge = { version: 1, tenant, channel: 'whatsapp', messageId: 'too-big', timestamp: new Date().toISOString(), from: { id: 'x', idType: 'opaque' }, text: 'x'.repeat(nc.info?.max_payload ?? 1_048_576) };
    await expect(jetstream(nc).publish(subjects.inbound(tenant, 'whatsapp'), encode(huge))).rejects.toThrow(/max_payload/);
    // The connection is still usable: a good message goes through and is stored.
    const next = await new CustomerDriver(nc, tenant, 'whatsapp', { id: 'after-big', idType: 'opaque' }).say('still here');
    await waitFor(() => parley().store.db.selectFrom('messages').select('id').where('platform_message_id', '=', next.messageId).executeTakeFirst(), { what: 'the next message stored' });
    expect((await jsm.streams.info(streams.inbound.name)).state.messages).toBe(before + 1);
    expect(await deadLetterCount()).toBe(deadBefore);
  });
});
