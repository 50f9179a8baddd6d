import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { ImapFlow } from 'imapflow';
import { startTestServices, type TestServices } from '../support/services.ts';
import { ensureStreams } from '../../src/bus/index.ts';
import { migrateToLatest, openStore, type Store } from '../../src/store/index.ts';
import { InboundMessage, streams, subjects } from '../../src/contract/index.ts';
import { startEmailInbound, type EmailChannelOptions, type EmailInbound } from '../../src/email/index.ts';
import { startDovecot, type Dovecot } from './dovecot.ts';

const mail = (messageId: string, body: string) =>
  [`From: Jane <jane@customer.example>`, `To: support@acme.example`, `Subject: Polled`, `Message-ID: ${messageId}`, `Date: ${new Date().toUTCString()}`, '', body, ''].join('\r\n');

describe('inbound e-mail by IMAP polling (a real Dovecot)', () => {
  let services: TestServices;
  let dovecot: Dovecot;
  let nc: NatsConnection;
  let store: Store;
  let inbound: EmailInbound;
  let mailbox: ImapFlow;

  const channelOf = (channel: string, afterPublish: 'seen' | { moveTo: string }): EmailChannelOptions => ({
    tenant: 'acme',
    channel,
    fromAddress: 'support@acme.example',
    attachmentBaseUrl: 'https://parley.example/v1/email-attachments/',
    imap: { host: '127.0.0.1', port: dovecot.port, secure: false, user: dovecot.user, password: dovecot.password, pollIntervalMs: 3_600_000, afterPublish },
  });

  beforeAll(async () => {
    [services, dovecot] = await Promise.all([startTestServices(), startDovecot()]);
    nc = await connect({ servers: services.natsUrl });
    await ensureStreams(nc);
    store = await openStore({ url: services.databaseUrl });
    await migrateToLatest(store.db);
    // The mail provider's side: mail lands in the mailbox.
    mailbox = new ImapFlow({ host: '127.0.0.1', port: dovecot.port, secure: false, auth: { user: dovecot.user, pass: dovecot.password }, logger: false });
    await mailbox.connect();
    await mailbox.mailboxCreate('Processed');
    inbound = await startEmailInbound({ channels: () => [channelOf('polled', 'seen')] }, { nc, db: store.db });
  });

  afterAll(async () => {
    await inbound?.close();
    await mailbox?.logout();
    await store?.close();
    await nc?.close();
    await Promise.all([services?.stop(), dovecot?.stop()]);
  });

  const lastOn = async (subject: string) => {
    const msg = await (await jetstreamManager(nc)).streams.getMessage(streams.inbound.name, { last_by_subj: subject });
    return InboundMessage.parse(msg!.json());
  };

  it('publishes unseen mail, then flags it \\Seen so the next poll does not take it again', async () => {
    await mailbox.append('INBOX', mail('<imap-1@customer.example>', 'Sent to the mailbox.'));
    const poller = inbound.pollers.get('acme/polled')!;
    expect(await poller.pollNow()).toEqual([{ kind: 'published', duplicate: false }]);
    expect(await lastOn(subjects.inbound('acme', 'polled'))).toMatchObject({
      messageId: '<imap-1@customer.example>',
      from: { id: 'jane@customer.example', idType: 'email', name: 'Jane' },
      text: 'Sent to the mailbox.',
      attributes: { emailSubject: 'Polled' },
    });
    const lock = await mailbox.getMailboxLock('INBOX');
    try {
      const flags = await mailbox.fetchOne('*', { flags: true });
      expect(flags && [...(flags.flags ?? [])]).toContain('\\Seen');
    } finally {
      lock.release();
    }
    expect(await poller.pollNow()).toEqual([]);
  });

  it('can move taken mail to another mailbox instead', async () => {
    const moving = await startEmailInbound({ channels: () => [channelOf('moved', { moveTo: 'Processed' })] }, { nc, db: store.db });
    try {
      await mailbox.append('INBOX', mail('<imap-2@customer.example>', 'Move me.'));
      expect(await moving.pollers.get('acme/moved')!.pollNow()).toEqual([{ kind: 'published', duplicate: false }]);
      const status = await mailbox.status('Processed', { messages: true });
      expect(status && status.messages).toBe(1);
    } finally {
      await moving.close();
    }
  });
});
