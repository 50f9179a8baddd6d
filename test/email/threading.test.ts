import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { channel, outboundReader, queue, startParley, type RunningParley } from '../support/parley.ts';
import { createEmailTransport, startEmailInbound, type EmailChannelOptions, type EmailInbound, type EmailTransport } from '../../src/email/index.ts';
import { sendMail, startMailSink } from './mail-sink.ts';

const tenant = 'acme';
const days = 24 * 3600 * 1000;

/**
 * End to end with a router: mail in over SMTP → conversation → the agent's reply out over
 * SMTP with our Message-ID → five days later (the 72 h window long passed, the
 * conversation closed by its timer) the customer's reply to that mail joins the same
 * conversation, and a forwarded mail starts a new one.
 *
 * Message times cannot be stamped days apart (they are filed under the receive time
 * beyond 5 minutes of skew), so the five days are made by moving the stored
 * conversation, its messages and its window timer back in time: the router reads all of
 * them from the store at each step.
 */
describe('e-mail threading by Message-ID across a reply after 5 days', () => {
  let services: TestServices;
  let parley: RunningParley;
  let inbound: EmailInbound;
  let transport: EmailTransport;
  let sink: Awaited<ReturnType<typeof startMailSink>>;
  let alice: AgentDriver;
  let outbox: Awaited<ReturnType<typeof outboundReader>>;
  const mail: EmailChannelOptions = {
    tenant,
    channel: 'mail',
    addresses: ['support@acme.example'],
    fromAddress: 'support@acme.example',
    attachmentBaseUrl: 'https://parley.example/v1/email-attachments/',
  };

  beforeAll(async () => {
    services = await startTestServices();
    parley = await startParley(services.natsUrl, services.databaseUrl, [
      channel(tenant, 'mail', { type: 'email', queue: 'support', threadingWindow: '72h' }),
      queue(tenant, 'support', {}),
    ]);
    sink = await startMailSink();
    inbound = await startEmailInbound({ smtp: { host: '127.0.0.1', port: 0 }, channels: () => [mail] }, { nc: parley.nc, db: parley.store.db });
    transport = createEmailTransport({ channel: () => ({ ...mail, smtp: { host: '127.0.0.1', port: sink.port } }) }, { db: parley.store.db });
    outbox = await outboundReader(parley.nc, 'email-test');
    alice = new AgentDriver(parley.nc, tenant, 'alice');
    await alice.configure([], { email: 4 });
    await alice.presence('available');
  });

  afterAll(async () => {
    alice?.stop();
    transport?.close();
    await inbound?.close();
    await sink?.close();
    await parley?.stop();
    await services?.stop();
  });

  const db = () => parley.store.db;
  const conversationOfMail = (messageId: string) =>
    waitFor(async () => (await sql<{ conversation_id: string }>`select conversation_id from messages where platform_message_id = ${messageId}`.execute(db())).rows[0]?.conversation_id, {
      what: `mail ${messageId} stored`,
    });
  const stateOf = async (id: string) => (await sql<{ state: string }>`select state from conversations where id = ${id}`.execute(db())).rows[0]?.state;

  /** A customer writes, Alice answers by mail and closes: returns the conversation and the Message-ID of her mail. */
  async function answeredThread(customer: string, messageId: string, subject: string) {
    await sendMail(inbound.smtpPort!, { from: customer, to: 'support@acme.example', subject, messageId, text: 'Where is my parcel?' });
    const conversation = await alice.acceptNextOffer();
    expect(await conversationOfMail(messageId)).toBe(conversation);
    expect((await alice.reply(conversation, 'It left our warehouse today.')).ok).toBe(true);
    const reply = await outbox.next();
    expect(reply.conversationId).toBe(conversation);
    const outcome = await transport.send(reply, { tenant, channel: 'mail' });
    expect(outcome.kind).toBe('accepted');
    const sent = sink.received.at(-1)!;
    expect(sent.parsed.inReplyTo).toBe(messageId);
    expect(sent.parsed.subject).toBe(`Re: ${subject}`);
    expect((await alice.close(conversation)).ok).toBe(true);
    return { conversation, ourMessageId: sent.parsed.messageId! };
  }

  /** Five days pass: the conversation's messages and its window timer move back, and the timer closes it. */
  async function fiveDaysLater(conversation: string) {
    const shift = sql`make_interval(secs => ${(5 * days) / 1000})`;
    await sql`update messages set sent_at = sent_at - ${shift} where conversation_id = ${conversation}`.execute(db());
    await sql`update conversations set last_message_at = last_message_at - ${shift},
                snapshot = jsonb_set(snapshot, '{context,lastMessageAt}', to_jsonb(to_char((last_message_at - ${shift}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
              where id = ${conversation}`.execute(db());
    // The 72 h window ended two days ago: the durable timer is due, as it would be after five days.
    await sql`update timers set due_at = now() - interval '1 second' where actor_id = ${conversation}`.execute(db());
    await waitFor(async () => ((await stateOf(conversation)) === 'closed' ? true : undefined), { what: 'the window timer to close the conversation' });
  }

  it('joins a reply to our mail to its conversation after the window, and starts a new one for a forward', async () => {
    const jane = await answeredThread('jane@customer.example', '<jane-1@customer.example>', 'Parcel late');
    const bob = await answeredThread('bob@customer.example', '<bob-1@customer.example>', 'Parcel late');
    await fiveDaysLater(jane.conversation);
    await fiveDaysLater(bob.conversation);

    // Jane answers Alice's mail (delivered twice by her provider): it joins the closed conversation, which reopens.
    const reply = {
      from: 'jane@customer.example',
      to: 'support@acme.example',
      subject: 'Re: Parcel late',
      messageId: '<jane-2@customer.example>',
      inReplyTo: jane.ourMessageId,
      references: ['<jane-1@customer.example>', jane.ourMessageId],
      text: 'Still nothing, five days later.',
    };
    await sendMail(inbound.smtpPort!, reply);
    await sendMail(inbound.smtpPort!, reply);
    expect(await conversationOfMail('<jane-2@customer.example>')).toBe(jane.conversation);
    const offer = await alice.next('offer.created', (e) => e.conversationId === jane.conversation);
    expect(offer.conversationId).toBe(jane.conversation);
    expect(await stateOf(jane.conversation)).not.toBe('closed');
    const copies = await sql<{ n: number }>`select count(*)::int as n from messages where platform_message_id = '<jane-2@customer.example>'`.execute(db());
    expect(copies.rows[0]?.n).toBe(1);

    // Bob forwards the old mail: no reference to our messages, so a new conversation.
    await sendMail(inbound.smtpPort!, {
      from: 'bob@customer.example',
      to: 'support@acme.example',
      subject: 'Fwd: Parcel late',
      messageId: '<bob-2@customer.example>',
      text: '---------- Forwarded message ---------\nWhere is my parcel?',
    });
    const forwarded = await conversationOfMail('<bob-2@customer.example>');
    expect(forwarded).not.toBe(bob.conversation);
    expect(await stateOf(bob.conversation)).toBe('closed');
  });
});
