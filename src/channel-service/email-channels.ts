import type { ChannelConfig, ConfigRegistry } from '../config/index.ts';
import type { EmailChannelOptions } from '../email/index.ts';
import type { SecretSource } from './secrets.ts';

/** What the SMTP listener needs of a Channel to route a recipient: no secrets. */
function listedOf(channel: ChannelConfig, attachmentBaseUrl: string): EmailChannelOptions | undefined {
  const email = channel.email;
  if (channel.type !== 'email' || !email) return undefined;
  return {
    tenant: channel.tenant,
    channel: channel.name,
    addresses: email.addresses,
    fromAddress: email.fromAddress,
    ...(email.fromName !== undefined && { fromName: email.fromName }),
    ...(email.messageIdDomain !== undefined && { messageIdDomain: email.messageIdDomain }),
    attachmentBaseUrl,
    loadRemoteImages: email.loadRemoteImages,
  };
}

/** The Channel's complete settings, its SMTP and IMAP passwords and DKIM key read from `secrets`. */
async function resolvedOf(channel: ChannelConfig, listed: EmailChannelOptions, secrets: SecretSource): Promise<EmailChannelOptions> {
  const email = channel.email!;
  const read = (ref: { name: string; key: string }) => secrets.read(channel.tenant, ref);
  const { smtp, imap, dkim } = email;
  return {
    ...listed,
    ...(smtp && {
      smtp: {
        host: smtp.host,
        ...(smtp.port !== undefined && { port: smtp.port }),
        secure: smtp.secure,
        requireTls: smtp.requireTls,
        allowInvalidCertificate: smtp.allowInvalidCertificate,
        ...(smtp.user !== undefined && { user: smtp.user }),
        ...(smtp.secrets && { password: await read(smtp.secrets.password) }),
      },
    }),
    ...(imap && {
      imap: {
        host: imap.host,
        ...(imap.port !== undefined && { port: imap.port }),
        secure: imap.secure,
        user: imap.user,
        password: await read(imap.secrets.password),
        mailbox: imap.mailbox,
        pollIntervalMs: imap.pollInterval,
        afterPublish: imap.moveTo !== undefined ? { moveTo: imap.moveTo } : 'seen',
        allowInvalidCertificate: imap.allowInvalidCertificate,
      },
    }),
    ...(dkim && { dkim: { ...(dkim.domainName !== undefined && { domainName: dkim.domainName }), keySelector: dkim.keySelector, privateKey: await read(dkim.secrets.privateKey) } }),
  };
}

/**
 * The e-mail Channels of the live configuration. `listed()` (no secrets) is what the SMTP
 * listener routes recipients by, read at each mail; `resolve()` adds the secrets, cached
 * while the Channel is unchanged and for at most `ttlMs` (a rotated password applies
 * without a restart). The same object is returned while cached: the e-mail transport
 * keeps its SMTP pool as long as it gets the same settings.
 */
export class EmailChannels {
  private readonly cache = new Map<string, { identity: string; at: number; options: Promise<EmailChannelOptions> }>();

  constructor(
    private readonly config: ConfigRegistry,
    private readonly secrets: SecretSource,
    /** Where agents download attachments: the gateway's `/v1/email-attachments/`. */
    private readonly attachmentBaseUrl: string,
    private readonly ttlMs = 60_000,
  ) {}

  listed(): EmailChannelOptions[] {
    return this.config.allChannels().flatMap((c) => listedOf(c, this.attachmentBaseUrl) ?? []);
  }

  /** The Channel's settings with secrets, undefined when it is not an e-mail Channel with an `email` block. */
  resolve(tenant: string, name: string): Promise<EmailChannelOptions | undefined> {
    const channel = this.config.channel(tenant, name);
    const listed = channel && listedOf(channel, this.attachmentBaseUrl);
    if (!channel || !listed) return Promise.resolve(undefined);
    const key = `${tenant}/${name}`;
    const identity = JSON.stringify(channel.email);
    const cached = this.cache.get(key);
    if (cached && cached.identity === identity && Date.now() - cached.at < this.ttlMs) return cached.options;
    const options = resolvedOf(channel, listed, this.secrets);
    this.cache.set(key, { identity, at: Date.now(), options });
    options.catch(() => {
      if (this.cache.get(key)?.options === options) this.cache.delete(key);
    });
    return options;
  }
}
