import { ImapFlow } from 'imapflow';
import type { Logger } from '../observability/index.ts';
import { EMAIL_DEFAULTS, type EmailChannelOptions, type ImapOptions } from './options.ts';
import { acceptMail, type MailDeps, type MailOutcome } from './publish-mail.ts';

export interface ImapPoller {
  /** Polls once now (the timer does it every `pollIntervalMs`); resolves with the outcomes of the mails taken. */
  pollNow(): Promise<MailOutcome[]>;
  close(): Promise<void>;
}

/**
 * One poll: every unseen mail of the mailbox is taken (`acceptMail`) and, only after
 * JetStream acknowledged it, flagged `\Seen` or moved. A failure leaves the mail unseen
 * for the next poll, and the InboundMessage's de-duplication id makes that harmless.
 */
async function pollMailbox(channel: EmailChannelOptions, imap: ImapOptions, deps: MailDeps): Promise<MailOutcome[]> {
  const secure = imap.secure ?? true;
  const client = new ImapFlow({
    host: imap.host,
    port: imap.port ?? EMAIL_DEFAULTS.imapPort,
    secure,
    auth: { user: imap.user, pass: imap.password },
    logger: false,
    tls: { rejectUnauthorized: !(imap.allowInvalidCertificate ?? false) },
  });
  await client.connect();
  const outcomes: MailOutcome[] = [];
  try {
    const lock = await client.getMailboxLock(imap.mailbox ?? EMAIL_DEFAULTS.mailbox);
    try {
      const uids = (await client.search({ seen: false }, { uid: true })) || [];
      for (const uid of uids) {
        const fetched = await client.fetchOne(String(uid), { source: true, internalDate: true }, { uid: true });
        if (!fetched || !fetched.source) continue;
        const receivedAt = fetched.internalDate ? new Date(fetched.internalDate) : new Date();
        outcomes.push(await acceptMail(deps, fetched.source, channel, receivedAt));
        const after = imap.afterPublish ?? 'seen';
        if (after === 'seen') await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
        else await client.messageMove(String(uid), after.moveTo, { uid: true });
      }
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
  return outcomes;
}

/**
 * Polls a channel's IMAP mailbox every `pollIntervalMs` (the alternative to the SMTP
 * listener when the mail stays with an existing provider). Polls never overlap; a failed
 * poll is logged and the next one tries again.
 */
export function startImapPoller(channel: EmailChannelOptions, deps: MailDeps & { readonly logger?: Logger | undefined }): ImapPoller {
  const imap = channel.imap;
  if (!imap) throw new Error(`channel ${channel.tenant}/${channel.channel} has no IMAP settings`);
  let running: Promise<MailOutcome[]> | undefined;
  let closed = false;
  const poll = (): Promise<MailOutcome[]> => {
    running ??= pollMailbox(channel, imap, deps).finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    if (!running && !closed) poll().catch((err: unknown) => deps.logger?.error('IMAP poll failed', { err, tenant: channel.tenant, channel: channel.channel }));
  }, imap.pollIntervalMs ?? EMAIL_DEFAULTS.pollIntervalMs);
  timer.unref();
  return {
    pollNow: poll,
    async close() {
      closed = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
