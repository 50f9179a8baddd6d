import { describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { sql } from 'kysely';
import { jetstreamManager } from '@nats-io/jetstream';
import { headers, InboundMessage, streams, subjects } from '../../src/contract/index.ts';
import { readEmailAttachment, startEmailInbound, type EmailChannelOptions } from '../../src/email/index.ts';
import { sendMail, sendRaw } from './mail-sink.ts';
import { useSmtpInbound } from './smtp-inbound-fixture.ts';

const support: EmailChannelOptions = {
  tenant: 'acme',
  channel: 'support-mail',
  addresses: ['support@acme.example'],
  fromAddress: 'support@acme.example',
  attachmentBaseUrl: 'https://parley.example/v1/email-attachments/',
};
const billing: EmailChannelOptions = {
  tenant: 'acme',
  channel: 'billing-mail',
  addresses: ['@billing.acme.example'],
  fromAddress: 'billing@billing.acme.example',
  attachmentBaseUrl: 'https://parley.example/v1/email-attachments/',
};

describe('inbound e-mail over SMTP', () => {
  const smtp = useSmtpInbound([support, billing]);
  const subjectCount = smtp.count;
  const lastOn = async (subject: string) => {
    const msg = await (await jetstreamManager(smtp.nc)).streams.getMessage(streams.inbound.name, { last_by_subj: subject });
    return InboundMessage.parse(msg!.json());
  };

  it('publishes one InboundMessage per mail, acknowledged before the 250: text part, sender, subject, sanitized HTML and attachments', async () => {
    const subject = subjects.inbound('acme', 'support-mail');
    const before = await subjectCount(subject);
    const sent = await sendMail(smtp.port, {
      from: 'Jane Customer <Jane@Customer.example>',
      to: 'support@acme.example',
      subject: 'My order #1234',
      messageId: '<first-1234@customer.example>',
      text: 'Hello, my order has not arrived.',
      html: '<p onclick="steal()">Hello, <b>my order</b> has not arrived.</p><script>alert(1)</script><a href="https://track.example/1234">track</a><img src="https://tracker.example/pixel.gif" alt="logo"><img src="cid:logo@customer"><style>p{}</style>',
      attachments: [
        { filename: 'receipt.pdf', content: Buffer.from('%PDF-1.4 receipt bytes'), contentType: 'application/pdf' },
        { filename: 'logo.png', content: Buffer.from('png bytes'), contentType: 'image/png', cid: 'logo@customer' },
      ],
    });
    expect(sent.response).toMatch(/^250/);
    // The 250 came after the PubAck: the message is in the stream now.
    expect(await subjectCount(subject)).toBe(before + 1);
    const message = await lastOn(subject);
    expect(message).toMatchObject({
      tenant: 'acme',
      channel: 'support-mail',
      messageId: '<first-1234@customer.example>',
      from: { id: 'jane@customer.example', idType: 'email', email: 'jane@customer.example', name: 'Jane Customer' },
      text: 'Hello, my order has not arrived.',
      attributes: { emailSubject: 'My order #1234' },
    });
    expect(message.references).toBeUndefined();

    const files = message.attachments ?? [];
    const file = (name: string) => files.find((a) => a.filename === name)!;
    expect(files.map((a) => [a.filename, a.contentType]).sort()).toEqual([
      ['logo.png', 'image/png'],
      ['message.html', 'text/html; charset=utf-8'],
      ['receipt.pdf', 'application/pdf'],
    ]);
    const idOf = (url: string) => url.split('/').at(-1)!;
    const pdf = await readEmailAttachment(smtp.store.db, 'acme', idOf(file('receipt.pdf').url));
    expect(pdf?.content.toString()).toBe('%PDF-1.4 receipt bytes');
    // Another tenant cannot read it.
    expect(await readEmailAttachment(smtp.store.db, 'globex', idOf(file('receipt.pdf').url))).toBeUndefined();

    const html = (await readEmailAttachment(smtp.store.db, 'acme', idOf(file('message.html').url)))!.content.toString();
    expect(html).not.toMatch(/script|onclick|<style|alert/);
    expect(html).toContain('<b>my order</b>');
    expect(html).toContain('href="https://track.example/1234"');
    // The remote image is a link, not loaded; the inline image points at its stored attachment.
    expect(html).not.toContain('<img src="https://tracker.example');
    expect(html).toContain('<a href="https://tracker.example/pixel.gif" target="_blank" rel="noopener noreferrer nofollow">[image: logo]</a>');
    expect(html).toContain(`<img src="${file('logo.png').url}" />`);
  });

  it('stores a mail delivered twice once: the same Nats-Msg-Id and the same attachment ids', async () => {
    const subject = subjects.inbound('acme', 'billing-mail');
    const mail = {
      from: 'bob@customer.example',
      to: 'invoices@billing.acme.example',
      subject: 'Invoice question',
      messageId: '<dup-1@customer.example>',
      text: 'Why was I charged twice?',
      attachments: [{ filename: 'invoice.txt', content: 'INV-1' }],
    };
    await sendMail(smtp.port, mail);
    await sendMail(smtp.port, mail);
    expect(await subjectCount(subject)).toBe(1);
    const { rows } = await sql<{ id: string }>`select id from email_attachments where mail_id = ${'<dup-1@customer.example>'}`.execute(smtp.store.db);
    expect(rows).toHaveLength(1);
  });

  it('carries the ids a reply answers, In-Reply-To first, then References newest first', async () => {
    await sendMail(smtp.port, {
      from: 'jane@customer.example',
      to: 'support@acme.example',
      subject: 'Re: My order #1234',
      messageId: '<second@customer.example>',
      inReplyTo: '<abc@acme.example>',
      references: ['<first-1234@customer.example>', '<abc@acme.example>'],
      text: 'Still nothing.',
    });
    const message = await lastOn(subjects.inbound('acme', 'support-mail'));
    expect(message.references).toEqual(['<abc@acme.example>', '<first-1234@customer.example>']);
  });

  it('refuses recipients that belong to no channel (550) and mail over the size limit (552)', async () => {
    await expect(sendMail(smtp.port, { from: 'x@customer.example', to: 'nobody@elsewhere.example', text: 'hi' })).rejects.toMatchObject({ responseCode: 550 });
    await expect(sendMail(smtp.port, { from: 'x@customer.example', to: 'support@acme.example', text: 'x'.repeat(300_000) })).rejects.toMatchObject({ responseCode: 552 });
  });

  it('answers 451 (try again later) when the mail cannot be published, so the sending server keeps it', async () => {
    const closed = await connect({ servers: smtp.services.natsUrl });
    await closed.close();
    const broken = await startEmailInbound({ smtp: { host: '127.0.0.1', port: 0 }, channels: () => [support] }, { nc: closed, db: smtp.store.db });
    try {
      await expect(sendMail(broken.smtpPort!, { from: 'x@customer.example', to: 'support@acme.example', text: 'hi' })).rejects.toMatchObject({ responseCode: 451 });
    } finally {
      await broken.close();
    }
  });

  it('accepts a mail it cannot map (no From) and dead-letters it with the reason', async () => {
    const raw = 'To: support@acme.example\r\nSubject: anonymous\r\nMessage-ID: <nofrom@x.example>\r\n\r\nwho am I?\r\n';
    const sent = await sendRaw(smtp.port, 'bounce@x.example', ['support@acme.example'], raw);
    expect(sent.response).toMatch(/^250/);
    const jsm = await jetstreamManager(smtp.nc);
    const dead = await jsm.streams.getMessage(streams.deadLetters.name, { last_by_subj: subjects.deadLetter('inbound') });
    expect(dead?.header.get(headers.deadLetterReason)).toBe('invalidEnvelope');
    expect(dead?.header.get(headers.deadLetterDetail)).toBe('e-mail: the mail has no From address');
    expect(dead?.header.get(headers.originalSubject)).toBe(subjects.inbound('acme', 'support-mail'));
    expect(Buffer.from(dead!.data).toString()).toContain('who am I?');
  });
});
