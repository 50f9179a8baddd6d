import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';

export interface ReceivedMail {
  readonly raw: Buffer;
  readonly parsed: ParsedMail;
  readonly rcptTo: string[];
}

/**
 * A real SMTP server (smtp-server) on a free port that keeps what it receives; a
 * recipient listed in `refuse` gets that SMTP reply code instead (5xx or 4xx).
 */
export async function startMailSink(refuse: Record<string, number> = {}) {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const code = refuse[address.address];
      if (code === undefined) return callback();
      callback(Object.assign(new Error(code >= 500 ? 'Mailbox unavailable' : 'Try again later'), { responseCode: code }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then((parsed) => {
            received.push({ raw, parsed, rcptTo: session.envelope.rcptTo.map((r) => r.address) });
            callback();
          })
          .catch(callback);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.server.address() as AddressInfo).port,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Sends one mail to an SMTP server on this machine as a sending MTA would (nodemailer, plain SMTP). */
export async function sendMail(port: number, mail: Mail.Options): Promise<{ response: string }> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  try {
    return await transport.sendMail(mail);
  } finally {
    transport.close();
  }
}

/** Sends raw RFC 5322 bytes (exact headers, e.g. no Message-ID or no From). */
export function sendRaw(port: number, from: string, to: string[], raw: string | Buffer): Promise<{ response: string }> {
  return sendMail(port, { envelope: { from, to }, raw });
}
