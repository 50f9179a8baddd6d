import { jetstreamManager } from '@nats-io/jetstream';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InboundMessage, streams, subjects } from '../../src/contract/index.ts';
import { startDovecot, type Dovecot } from '../email/dovecot.ts';
import { channel, queue } from '../support/parley.ts';
import { waitFor } from '../support/wait-for.ts';
import { useChannels } from './harness.ts';

const tenant = 'acme';
const base = [queue(tenant, 'support')];

let dovecot: Dovecot;
beforeAll(async () => {
  dovecot = await startDovecot();
}, 120_000);
afterAll(async () => {
  await dovecot?.stop();
});

const harness = useChannels(() => base, () => ({ [tenant]: { mailbox: { password: dovecot.password } } }), {
  email: { attachmentBaseUrl: 'http://127.0.0.1:8080/v1/email-attachments/' },
});

/** The channels role starts an IMAP poller for an e-mail Channel configured after it started, its password read by reference. */
describe('IMAP polling in the channels role', () => {
  it('polls the mailbox of a Channel added to the live configuration', { timeout: 60_000 }, async () => {
    const mailbox = new ImapFlow({ host: '127.0.0.1', port: dovecot.port, secure: false, auth: { user: dovecot.user, pass: dovecot.password }, logger: false });
    await mailbox.connect();
    try {
      const raw = ['From: Jane <jane@customer.example>', 'To: support@acme.example', 'Subject: Polled', 'Message-ID: <role-1@customer.example>', `Date: ${new Date().toUTCString()}`, '', 'From the mailbox.', ''].join('\r\n');
      await mailbox.append('INBOX', raw);
    } finally {
      await mailbox.logout();
    }
    harness().parley.config.apply([
      ...base,
      channel(tenant, 'polled', {
        type: 'email',
        queue: 'support',
        email: { fromAddress: 'support@acme.example', imap: { host: '127.0.0.1', port: dovecot.port, secure: false, user: dovecot.user, pollInterval: '5s', secrets: { password: { name: 'mailbox', key: 'password' } } } },
      }),
    ]);
    harness().channels.configChanged();

    const jsm = await jetstreamManager(harness().parley.nc);
    const published = await waitFor(
      async () => {
        const msg = await jsm.streams.getMessage(streams.inbound.name, { last_by_subj: subjects.inbound(tenant, 'polled') }).catch(() => undefined);
        return msg ? InboundMessage.parse(msg.json()) : undefined;
      },
      { what: 'the polled mail on the inbound stream', timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(published).toMatchObject({ messageId: '<role-1@customer.example>', from: { id: 'jane@customer.example', idType: 'email' }, text: 'From the mailbox.' });
  });
});
