import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { useMigratedStore } from '../support/migrated-store.ts';
import { createEmailTransport, type EmailChannelOptions, type EmailTransport } from '../../src/email/index.ts';
import type { OutboundMessage } from '../../src/contract/index.ts';
import { startMailSink } from './mail-sink.ts';

const tenant = 'acme';
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });

describe('outbound e-mail through SMTP (nodemailer)', () => {
  const migrated = useMigratedStore();
  const db = () => migrated.store.db;
  let sink: Awaited<ReturnType<typeof startMailSink>>;
  let transport: EmailTransport;
  const channels = new Map<string, EmailChannelOptions>();

  beforeAll(async () => {
    sink = await startMailSink({ 'gone@customer.example': 550, 'busy@customer.example': 451 });
    const base = { tenant, fromAddress: 'support@acme.example', fromName: 'Acme Support', attachmentBaseUrl: 'https://parley.example/a/', smtp: { host: '127.0.0.1', port: sink.port } };
    channels.set('mail', { ...base, channel: 'mail' });
    channels.set('signed', { ...base, channel: 'signed', dkim: { keySelector: 'parley', privateKey } });
    channels.set('down', { ...base, channel: 'down', smtp: { host: '127.0.0.1', port: 1, timeoutMs: 2_000 } });
    transport = createEmailTransport({ channel: (t, c) => (t === tenant ? channels.get(c) : undefined) }, { db: db() });
  });

  afterAll(async () => {
    transport?.close();
    await sink?.close();
  });

  const outbound = (channel: string, to: string, extra: Partial<OutboundMessage> = {}): OutboundMessage => ({
    version: 1,
    id: randomUUID(),
    tenant,
    channel,
    conversationId: randomUUID(),
    to: { id: to, idType: 'email' },
    timestamp: new Date().toISOString(),
    text: 'Your parcel left our warehouse today.\n\nKind regards',
    ...extra,
  });

  /** A conversation as the router stores it: the customer's mail (with its Message-ID and Subject) in the messages table. */
  async function conversationWithCustomerMail(channel: string, messageId: string, subject: string): Promise<string> {
    const conversationId = randomUUID();
    const customerId = randomUUID();
    await sql`insert into customers (id, tenant) values (${customerId}, ${tenant})`.execute(db());
    await sql`insert into conversations (id, tenant, channel, customer_id, external_id, state, last_message_at, snapshot)
              values (${conversationId}, ${tenant}, ${channel}, ${customerId}, 'email:jane@customer.example', 'connected', now(), '{}')`.execute(db());
    await sql`insert into messages (id, tenant, conversation_id, customer_id, channel, direction, platform_message_id, sent_at)
              values (${randomUUID()}, ${tenant}, ${conversationId}, ${customerId}, ${channel}, 'inbound', ${messageId}, now() - interval '1 minute')`.execute(db());
    await sql`insert into email_messages (tenant, channel, message_id, direction, subject) values (${tenant}, ${channel}, ${messageId}, 'inbound', ${subject})`.execute(db());
    return conversationId;
  }

  it("answers in the customer's thread: our Message-ID, Re: subject, In-Reply-To and References, text and HTML parts", async () => {
    const conversationId = await conversationWithCustomerMail('mail', '<q1@customer.example>', 'Where is my parcel?');
    const message = outbound('mail', 'jane@customer.example', { conversationId });
    const outcome = await transport.send(message, { tenant, channel: 'mail' });
    expect(outcome).toEqual({ kind: 'accepted', providerMessageId: `<${message.id}@acme.example>` });

    const mail = sink.received.at(-1)!;
    expect(mail.rcptTo).toEqual(['jane@customer.example']);
    expect(mail.parsed.messageId).toBe(`<${message.id}@acme.example>`);
    expect(mail.parsed.from?.value[0]).toMatchObject({ address: 'support@acme.example', name: 'Acme Support' });
    expect(mail.parsed.subject).toBe('Re: Where is my parcel?');
    expect(mail.parsed.inReplyTo).toBe('<q1@customer.example>');
    expect(mail.parsed.references).toBe('<q1@customer.example>');
    expect(mail.parsed.text?.trim()).toBe('Your parcel left our warehouse today.\n\nKind regards');
    expect(mail.parsed.html).toContain('<p>Your parcel left our warehouse today.</p><p>Kind regards</p>');
    expect(mail.raw.toString()).not.toMatch(/^DKIM-Signature:/im);

    // Our Message-ID is stored: the next reply threads onto both mails, still "Re: " once.
    const stored = await sql<{ parley_message_id: string }>`select parley_message_id from email_messages where message_id = ${`<${message.id}@acme.example>`}`.execute(db());
    expect(stored.rows[0]?.parley_message_id).toBe(message.id);
    await sql`insert into messages (id, tenant, conversation_id, customer_id, channel, direction, sent_at)
              select ${message.id}, tenant, id, customer_id, channel, 'outbound', now() from conversations where id = ${conversationId}`.execute(db());
    const second = outbound('mail', 'jane@customer.example', { conversationId });
    expect((await transport.send(second, { tenant, channel: 'mail' })).kind).toBe('accepted');
    const next = sink.received.at(-1)!;
    expect(next.parsed.subject).toBe('Re: Where is my parcel?');
    expect(next.parsed.references).toEqual(['<q1@customer.example>', `<${message.id}@acme.example>`]);
    expect(next.parsed.inReplyTo).toBe('<q1@customer.example>');
  });

  it('signs with DKIM when the channel has a key', async () => {
    const message = outbound('signed', 'jane@customer.example', { email: { subject: 'Your order' } });
    expect((await transport.send(message, { tenant, channel: 'signed' })).kind).toBe('accepted');
    const mail = sink.received.at(-1)!;
    expect(mail.parsed.subject).toBe('Your order');
    const dkim = mail.parsed.headers.get('dkim-signature') as { value: string; params: Record<string, string> } | string;
    const text = typeof dkim === 'string' ? dkim : `${dkim.value}; ${Object.entries(dkim.params).map(([k, v]) => `${k}=${v}`).join('; ')}`;
    expect(text).toMatch(/d=acme\.example/);
    expect(text).toMatch(/s=parley/);
    expect(text).toMatch(/a=rsa-sha256/);
  });

  it('attaches files fetched from their URLs', async () => {
    const files = createServer((req, res) => {
      if (req.url === '/files/label.pdf') res.writeHead(200, { 'content-type': 'application/pdf' }).end('%PDF-1.4 label');
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', () => resolve()));
    try {
      const url = `http://127.0.0.1:${(files.address() as AddressInfo).port}/files/label.pdf`;
      const message = outbound('mail', 'jane@customer.example', { attachments: [{ url, contentType: 'application/pdf', filename: 'return-label.pdf' }] });
      expect((await transport.send(message, { tenant, channel: 'mail' })).kind).toBe('accepted');
      const [attachment] = sink.received.at(-1)!.parsed.attachments;
      expect(attachment).toMatchObject({ filename: 'return-label.pdf', contentType: 'application/pdf' });
      expect(attachment?.content.toString()).toBe('%PDF-1.4 label');
    } finally {
      await new Promise<void>((resolve) => files.close(() => resolve()));
    }
  });

  it('maps a permanent SMTP refusal (5xx) to failed and a transient one (4xx, no connection) to retry', async () => {
    expect(await transport.send(outbound('mail', 'gone@customer.example'), { tenant, channel: 'mail' })).toEqual({ kind: 'failed', reason: 'RecipientRejected (smtp 550)' });
    expect(await transport.send(outbound('mail', 'busy@customer.example'), { tenant, channel: 'mail' })).toEqual({ kind: 'retry', reason: 'TemporarilyRejected (smtp 451)' });
    const down = await transport.send(outbound('down', 'jane@customer.example'), { tenant, channel: 'down' });
    expect(down.kind === 'retry' && down.reason).toMatch(/^SmtpUnavailable \(E[A-Z]+\)$/);
  });

  it('refuses what an e-mail channel cannot send, with the reason', async () => {
    const phone = await transport.send(outbound('mail', '+33612345678', { to: { id: '+33612345678', idType: 'phone' } }), { tenant, channel: 'mail' });
    expect(phone.kind === 'failed' && phone.reason).toMatch(/^InvalidRecipient/);
    const unknown = await transport.send(outbound('nowhere', 'jane@customer.example'), { tenant, channel: 'nowhere' });
    expect(unknown.kind === 'failed' && unknown.reason).toMatch(/^ChannelNotConfigured/);
  });
});
