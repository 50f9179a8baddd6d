import type { ChannelConfig, ConfigRegistry } from '../config/index.ts';
import { startImapPoller, type ImapPoller, type MailDeps } from '../email/index.ts';
import type { Logger } from '../observability/index.ts';
import type { EmailChannels } from './email-channels.ts';

/** How often Channels whose poller could not start (a missing secret) are tried again. */
const RETRY_MS = 60_000;

export interface ImapPollers {
  /** Starts, restarts and stops pollers to match the configuration; call on each change. */
  reconcile(): Promise<void>;
  close(): Promise<void>;
}

/**
 * One IMAP poller per e-mail Channel with `spec.email.imap`, following the live
 * configuration: a Channel added, changed or removed gets its poller started, restarted
 * or stopped. Reconciles never overlap; a Channel whose secret cannot be read is logged
 * and tried again a minute later.
 */
export function imapPollers(config: ConfigRegistry, channels: EmailChannels, deps: MailDeps & { readonly logger: Logger }): ImapPollers {
  const running = new Map<string, { identity: string; poller: ImapPoller }>();
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  const once = async (): Promise<void> => {
    const wanted = new Map<string, ChannelConfig>(config.allChannels().filter((c) => c.type === 'email' && c.email?.imap).map((c) => [`${c.tenant}/${c.name}`, c] as const));
    for (const [key, { identity, poller }] of running) {
      const want = wanted.get(key);
      if (want && JSON.stringify(want.email) === identity) continue;
      running.delete(key);
      await poller.close();
    }
    for (const [key, channel] of wanted) {
      if (closed || running.has(key)) continue;
      try {
        const options = await channels.resolve(channel.tenant, channel.name);
        if (options?.imap) running.set(key, { identity: JSON.stringify(channel.email), poller: startImapPoller(options, deps) });
      } catch (err) {
        deps.logger.error('IMAP polling not started', { tenant: channel.tenant, channel: channel.name, err });
      }
    }
  };
  const reconcile = () => (chain = chain.then(once, once));
  const timer = setInterval(() => void reconcile(), RETRY_MS);
  timer.unref();

  return {
    reconcile,
    async close() {
      closed = true;
      clearInterval(timer);
      await chain;
      await Promise.all([...running.values()].map(({ poller }) => poller.close()));
      running.clear();
    },
  };
}
