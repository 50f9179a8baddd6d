import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { DeliveryReceipt, headers, receiptMsgId, streams, subjects } from '../../src/contract/index.ts';
import type { EmailChannelOptions } from '../../src/email/index.ts';
import { sendRaw } from './mail-sink.ts';
import { useSmtpInbound } from './smtp-inbound-fixture.ts';

const support: EmailChannelOptions = {
  tenant: 'acme',
  channel: 'support-mail',
  addresses: ['support@acme.example'],
  fromAddress: 'support@acme.example',
  attachmentBaseUrl: 'https://parley.example/v1/email-attachments/',
};

/** A real-world report with the returned mail's Message-ID set to `id`. */
const report = (file: string, id: string, edit: (raw: string) => string = (raw) => raw) =>
  edit(readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8').replaceAll('MESSAGE_ID', id));

/**
 * Bounces (RFC 3464 delivery status notifications) that mail servers send back about a
 * mail Parley sent: they become the `failed` receipt of that mail, not a customer's
 * message; a delay warning needs nothing; a bounce of a mail Parley never sent is
 * dead-lettered with its reason.
 */
describe('delivery reports (bounces) on inbound e-mail', () => {
  const smtp = useSmtpInbound([support]);

  const receipts = subjects.receipts('acme', 'support-mail');
  const customerMessages = subjects.inbound('acme', 'support-mail');
  const lastReceipt = async () => {
    const msg = await (await jetstreamManager(smtp.nc)).streams.getMessage(streams.inbound.name, { last_by_subj: receipts });
    return { receipt: DeliveryReceipt.parse(msg!.json()), msgId: msg!.header.get('Nats-Msg-Id') };
  };

  it.each([
    ['Postfix, returning the headers (text/rfc822-headers)', 'postfix-bounce.eml', /^RecipientRejected \(dsn 5\.1\.1\): smtp; 550 5\.1\.1 <camille@example\.org>: Recipient address rejected: User unknown$/],
    ['Exchange Online, returning the whole mail (message/rfc822)', 'exchange-bounce.eml', /^MailboxFull \(dsn 5\.2\.2\): smtp;554 5\.2\.2 mailbox full; STOREDRV\.Deliver\.Exception:QuotaExceededException$/],
  ])('turns a bounce from %s into the failed receipt of the mail it returns', async (_server, file, reason) => {
    const id = randomUUID();
    const [receiptsBefore, messagesBefore] = [await smtp.count(receipts), await smtp.count(customerMessages)];
    const sent = await sendRaw(smtp.port, '', ['support@acme.example'], report(file, id));
    expect(sent.response).toMatch(/^250/);
    expect(await smtp.count(receipts)).toBe(receiptsBefore + 1);
    // Nobody is offered a conversation with the mail server.
    expect(await smtp.count(customerMessages)).toBe(messagesBefore);
    const { receipt, msgId } = await lastReceipt();
    expect(receipt).toMatchObject({ tenant: 'acme', channel: 'support-mail', messageId: id, status: 'failed' });
    expect(receipt.reason).toMatch(reason);
    // The same bounce delivered twice is one receipt.
    expect(msgId).toBe(receiptMsgId(id, 'failed'));
  });

  it('takes a delay warning without publishing anything', async () => {
    const before = [await smtp.count(receipts), await smtp.count(customerMessages)];
    const delayed = report('postfix-bounce.eml', randomUUID(), (raw) => raw.replace('Action: failed', 'Action: delayed').replace('Status: 5.1.1', 'Status: 4.4.1'));
    expect((await sendRaw(smtp.port, '', ['support@acme.example'], delayed)).response).toMatch(/^250/);
    expect([await smtp.count(receipts), await smtp.count(customerMessages)]).toEqual(before);
  });

  it('dead-letters a bounce of a mail Parley did not send, with the reason', async () => {
    const before = await smtp.count(receipts);
    const foreign = report('postfix-bounce.eml', 'x', (raw) => raw.replace('<x@acme.example>', '<not-ours-42@elsewhere.example>'));
    expect((await sendRaw(smtp.port, '', ['support@acme.example'], foreign)).response).toMatch(/^250/);
    expect(await smtp.count(receipts)).toBe(before);
    const dead = await (await jetstreamManager(smtp.nc)).streams.getMessage(streams.deadLetters.name, { last_by_subj: subjects.deadLetter('inbound') });
    expect(dead?.header.get(headers.deadLetterDetail)).toBe('e-mail: a bounce of a mail Parley did not send (returned Message-ID <not-ours-42@elsewhere.example>)');
  });
});
