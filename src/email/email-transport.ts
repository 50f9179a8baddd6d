import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type Mail from 'nodemailer/lib/mailer/index.js';
import type { Kysely } from 'kysely';
import type { OutboundMessage } from '../contract/index.ts';
import { renderFallback, type ChannelTransport, type SendOutcome } from '../channels/index.ts';
import type { Database } from '../store/index.ts';
import { storeOutboundMail, threadOf } from './email-store.ts';
import { ownMessageId } from './message-ids.ts';
import { domainOf, EMAIL_DEFAULTS, type EmailChannelOptions } from './options.ts';
import { outcomeOfSmtpError } from './smtp-outcome.ts';

/** The References header keeps the thread's newest ids (mail clients need only a few). */
const MAX_REFERENCES_SENT = 20;
const NO_SUBJECT = '(no subject)';

export interface EmailTransportOptions {
  /** The e-mail Channel's settings by tenant and name (read at each send: the configuration is live; secrets may be read then). */
  readonly channel: (tenant: string, channel: string) => EmailChannelOptions | undefined | Promise<EmailChannelOptions | undefined>;
}

export interface EmailTransport extends ChannelTransport {
  /** Closes the pooled SMTP connections. */
  close(): void;
}

/** `Re: <subject>`, without piling up prefixes. */
export function replySubject(subject: string): string {
  return /^(re|aw|sv|antw)\s*:/i.test(subject) ? subject : `Re: ${subject}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** An HTML part for a text-only message: escaped, paragraphs and line breaks kept. */
function htmlOfText(text: string): string {
  const paragraphs = text.split(/\n{2,}/).map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`);
  return `<!doctype html><html><body>${paragraphs.join('')}</body></html>`;
}

/** The text of a message, with rich content as numbered text (e-mail has no native buttons). */
function textOf(message: OutboundMessage): string {
  const rich = message.content && message.content.length > 0 ? renderFallback(message.content).text : '';
  return [message.text ?? '', rich].filter((t) => t.trim().length > 0).join('\n\n');
}

/** The nodemailer pool of one channel's SMTP settings (one per channel, reused). */
function poolOf(channel: EmailChannelOptions): Transporter<SMTPPool.SentMessageInfo> {
  const smtp = channel.smtp!;
  const secure = smtp.secure ?? false;
  const timeout = smtp.timeoutMs ?? EMAIL_DEFAULTS.smtpTimeoutMs;
  return nodemailer.createTransport({
    pool: true,
    host: smtp.host,
    port: smtp.port ?? (secure ? EMAIL_DEFAULTS.smtpsPort : EMAIL_DEFAULTS.smtpPort),
    secure,
    requireTLS: smtp.requireTls ?? false,
    ...(smtp.user !== undefined ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
    tls: { rejectUnauthorized: !(smtp.allowInvalidCertificate ?? false) },
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    ...(channel.dkim
      ? { dkim: { domainName: channel.dkim.domainName ?? domainOf(channel.fromAddress), keySelector: channel.dkim.keySelector, privateKey: channel.dkim.privateKey } }
      : {}),
  });
}

/**
 * Outbound e-mail as a ChannelTransport: each OutboundMessage becomes one mail through the
 * Channel's SMTP server, From its sending address, with Parley's Message-ID
 * `<messageId@domain>` (stored before sending, so a quick reply finds the thread), the
 * conversation's subject as `Re: …`, In-Reply-To the customer's last mail and References
 * the thread's ids, a text and an HTML part, attachments fetched from their URLs, and a
 * DKIM signature when the Channel has a key. SMTP 5xx → `failed`, 4xx or no connection →
 * `retry`.
 */
export function createEmailTransport(options: EmailTransportOptions, deps: { readonly db: Kysely<Database> }): EmailTransport {
  const pools = new Map<string, { settings: EmailChannelOptions; pool: Transporter<SMTPPool.SentMessageInfo> }>();
  const poolFor = (key: string, channel: EmailChannelOptions) => {
    const known = pools.get(key);
    // A changed Channel (new host, password, key) gets a new pool.
    if (known && known.settings === channel) return known.pool;
    known?.pool.close();
    const pool = poolOf(channel);
    pools.set(key, { settings: channel, pool });
    return pool;
  };

  return {
    types: ['email'],
    async send(message, target): Promise<SendOutcome> {
      const channel = await options.channel(target.tenant, target.channel);
      if (!channel) return { kind: 'failed', reason: `ChannelNotConfigured: no e-mail channel ${target.tenant}/${target.channel}` };
      if (!channel.smtp) return { kind: 'failed', reason: 'ChannelNotConfigured: the channel has no outbound SMTP server' };
      if (message.to.idType !== 'email') return { kind: 'failed', reason: `InvalidRecipient: an e-mail channel sends to e-mail addresses, not ${message.to.idType}` };

      const domain = channel.messageIdDomain ?? domainOf(channel.fromAddress);
      const messageId = ownMessageId(message.id, domain);
      const thread = await threadOf(deps.db, target.tenant, message.conversationId);
      const subject = message.email?.subject ?? (thread.subject ? replySubject(thread.subject) : NO_SUBJECT);
      // Ours first: a reply that arrives while this send is still in flight finds the thread.
      await storeOutboundMail(deps.db, { tenant: target.tenant, channel: target.channel, messageId, parleyMessageId: message.id, subject });

      const text = textOf(message);
      const references = thread.ids.filter((id) => id !== messageId).slice(-MAX_REFERENCES_SENT);
      const inReplyTo = thread.lastInbound ?? references.at(-1);
      const unsubscribe = message.email?.listUnsubscribeUrl;
      const mail: Mail.Options = {
        from: channel.fromName ? { name: channel.fromName, address: channel.fromAddress } : channel.fromAddress,
        to: message.to.id,
        subject,
        messageId,
        date: new Date(message.timestamp),
        ...(inReplyTo ? { inReplyTo } : {}),
        ...(references.length > 0 ? { references } : {}),
        text,
        html: message.email?.html ?? htmlOfText(text),
        ...(message.attachments && message.attachments.length > 0
          ? { attachments: message.attachments.map((a) => ({ href: a.url, contentType: a.contentType, ...(a.filename ? { filename: a.filename } : {}) })) }
          : {}),
        ...(unsubscribe ? { list: { unsubscribe: { url: unsubscribe, comment: 'Unsubscribe' } }, headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } } : {}),
      };
      try {
        await poolFor(`${target.tenant}/${target.channel}`, channel).sendMail(mail);
        return { kind: 'accepted', providerMessageId: messageId };
      } catch (err) {
        return outcomeOfSmtpError(err);
      }
    },
    close() {
      for (const { pool } of pools.values()) pool.close();
      pools.clear();
    },
  };
}
