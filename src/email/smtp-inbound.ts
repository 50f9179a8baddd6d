import { hostname as osHostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Logger } from '../observability/index.ts';
import { EMAIL_DEFAULTS, type EmailChannelOptions, type SmtpListenerOptions } from './options.ts';
import { acceptMail, type MailDeps } from './publish-mail.ts';
import { channelOfRecipient } from './recipient-routes.ts';

/** An SMTP reply other than 250: smtp-server sends `responseCode` and the message. */
class SmtpReply extends Error {
  constructor(
    readonly responseCode: number,
    message: string,
  ) {
    super(message);
  }
}

export interface SmtpInbound {
  /** The port it listens on (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/** The mail's bytes; past the limit they are read and dropped (the answer will be 552). */
async function readAll(stream: SMTPServerDataStream, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    length += (chunk as Buffer).length;
    if (length <= maxBytes) chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * The MX side of e-mail: an SMTP listener that accepts mail for the channels' addresses
 * (550 for any other recipient), refuses mail over the size limit (552), and answers 250
 * only once every channel's InboundMessage is acknowledged by JetStream (451 "try again
 * later" when NATS or the database fails, so the sending server keeps the mail).
 */
export async function startSmtpInbound(
  options: SmtpListenerOptions,
  channels: () => readonly EmailChannelOptions[],
  deps: MailDeps & { readonly logger?: Logger | undefined },
): Promise<SmtpInbound> {
  const maxBytes = options.maxMessageBytes ?? EMAIL_DEFAULTS.maxMessageBytes;
  const server = new SMTPServer({
    name: options.hostname ?? osHostname(),
    size: maxBytes,
    authOptional: true,
    // Nothing here uses the client's reverse DNS name: skip a lookup per connection.
    disableReverseLookup: true,
    // An MX takes mail from anyone for its own addresses; nobody logs in.
    disabledCommands: options.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    logger: false,
    onRcptTo(address, _session, callback) {
      if (channelOfRecipient(channels(), address.address)) callback();
      else callback(new SmtpReply(550, '5.1.1 No such recipient here'));
    },
    onData(stream, session: SMTPServerSession, callback) {
      readAll(stream, maxBytes)
        .then(async (raw) => {
          if (stream.sizeExceeded || raw.length > maxBytes) throw new SmtpReply(552, `5.3.4 Message too big (at most ${maxBytes} bytes)`);
          const targets = new Map<string, EmailChannelOptions>();
          for (const rcpt of session.envelope.rcptTo) {
            const channel = channelOfRecipient(channels(), rcpt.address);
            if (channel) targets.set(`${channel.tenant}/${channel.channel}`, channel);
          }
          if (targets.size === 0) throw new SmtpReply(550, '5.1.1 No such recipient here');
          const receivedAt = new Date();
          for (const target of targets.values()) {
            const outcome = await acceptMail(deps, raw, target, receivedAt);
            if (outcome.kind === 'deadLettered') deps.logger?.warn('e-mail dead-lettered', { tenant: target.tenant, channel: target.channel, reason: outcome.reason });
            else if (outcome.kind === 'bounced') deps.logger?.info('e-mail bounce: the message is marked failed', { tenant: target.tenant, channel: target.channel, messageId: outcome.messageId });
          }
          callback(null, 'Message queued');
        })
        .catch((err: unknown) => {
          if (err instanceof SmtpReply) return callback(err);
          deps.logger?.error('e-mail not taken; the sender will retry', { err });
          callback(new SmtpReply(451, '4.3.0 Temporary failure, try again later'));
        });
    },
  });
  server.on('error', (err) => deps.logger?.error('SMTP listener error', { err }));
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? EMAIL_DEFAULTS.listenerPort, options.host ?? EMAIL_DEFAULTS.listenerHost, () => resolve());
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
