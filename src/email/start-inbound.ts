import type { Logger } from '../observability/index.ts';
import type { EmailChannelOptions, SmtpListenerOptions } from './options.ts';
import { startImapPoller, type ImapPoller } from './imap-poller.ts';
import type { MailDeps } from './publish-mail.ts';
import { startSmtpInbound, type SmtpInbound } from './smtp-inbound.ts';

export interface EmailInboundOptions {
  /** The SMTP listener (the MX). @default none: no listener, IMAP polling only */
  readonly smtp?: SmtpListenerOptions;
  /** Every e-mail Channel, read at each mail (the configuration is live). */
  readonly channels: () => readonly EmailChannelOptions[];
}

export interface EmailInbound {
  /** The SMTP listener's port, when there is one. */
  readonly smtpPort: number | undefined;
  /** The IMAP pollers, by `tenant/channel`, as they were at start. */
  readonly pollers: ReadonlyMap<string, ImapPoller>;
  close(): Promise<void>;
}

/**
 * Starts inbound e-mail for the channels process: the SMTP listener when `smtp` is set,
 * and an IMAP poller for each Channel with `imap` settings (pollers follow the channels
 * present at start: restart inbound after a Channel's IMAP settings change).
 */
export async function startEmailInbound(options: EmailInboundOptions, deps: MailDeps & { readonly logger?: Logger | undefined }): Promise<EmailInbound> {
  const listener: SmtpInbound | undefined = options.smtp ? await startSmtpInbound(options.smtp, options.channels, deps) : undefined;
  const pollers = new Map<string, ImapPoller>();
  for (const channel of options.channels()) {
    if (channel.imap) pollers.set(`${channel.tenant}/${channel.channel}`, startImapPoller(channel, deps));
  }
  return {
    smtpPort: listener?.port,
    pollers,
    async close() {
      await Promise.all([listener?.close(), ...[...pollers.values()].map((p) => p.close())]);
    },
  };
}
