import { z } from 'zod';
import { SecretKeyRef } from './common.ts';
import { Duration } from './duration.ts';

/**
 * The `spec.email` block of an `email` Channel: the addresses the SMTP listener takes for
 * it, the sending address, the outbound relay, IMAP polling and DKIM. Passwords and the
 * DKIM key are Secret references, read by the channels process (src/email/options.ts has
 * what each setting does).
 */

const Address = z.email().max(254);
/** A full address, or a whole domain written `@acme.example`. */
const Recipient = z
  .string()
  .max(254)
  .refine((a) => Address.safeParse(a).success || /^@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/.test(a), 'an e-mail address, or a whole domain written @example.com');
const Host = z.string().regex(/^[A-Za-z0-9.-]{1,253}$|^\[[0-9A-Fa-f:.]+\]$/, 'a host name or address');
const Port = z.number().int().min(1).max(65535);

const Smtp = z.strictObject({
  host: Host,
  /** @default 587 (465 when secure) */
  port: Port.optional(),
  secure: z.boolean().default(false),
  requireTls: z.boolean().default(false),
  user: z.string().min(1).max(256).optional(),
  allowInvalidCertificate: z.boolean().default(false),
  secrets: z.strictObject({ password: SecretKeyRef }).optional(),
});

const Imap = z.strictObject({
  host: Host,
  /** @default 993 */
  port: Port.optional(),
  secure: z.boolean().default(true),
  user: z.string().min(1).max(256),
  mailbox: z.string().min(1).max(256).default('INBOX'),
  pollInterval: Duration(5_000, 3_600_000).default(60_000),
  /** After publishing, move the mail here instead of flagging it \Seen. */
  moveTo: z.string().min(1).max(256).optional(),
  allowInvalidCertificate: z.boolean().default(false),
  secrets: z.strictObject({ password: SecretKeyRef }),
});

const Dkim = z.strictObject({
  domainName: z.string().regex(/^[A-Za-z0-9.-]{1,253}$/).optional(),
  keySelector: z.string().regex(/^[A-Za-z0-9._-]{1,63}$/, 'a DKIM selector'),
  secrets: z.strictObject({ privateKey: SecretKeyRef }),
});

export const EmailChannelSpec = z.strictObject({
  /** Recipients the SMTP listener takes for this channel. @default [] */
  addresses: z.array(Recipient).max(100).default([]),
  fromAddress: Address,
  fromName: z.string().min(1).max(128).optional(),
  messageIdDomain: z.string().regex(/^[A-Za-z0-9.-]{1,253}$/).optional(),
  smtp: Smtp.optional(),
  imap: Imap.optional(),
  dkim: Dkim.optional(),
  loadRemoteImages: z.boolean().default(false),
});
export type EmailChannelSpec = z.infer<typeof EmailChannelSpec>;

const ref = (base: string, what: string) => ({
  [base]: what,
  [`${base}.name`]: 'The Secret\'s name.',
  [`${base}.key`]: 'The key inside the Secret.',
});

/** Field descriptions for the CRD (crd-schema.ts). */
export const emailDescriptions: Record<string, string> = {
  'spec.email': 'E-mail (type email): the addresses taken, the sending address, the outbound SMTP relay, IMAP polling and DKIM.',
  'spec.email.addresses': 'Recipients the SMTP listener takes for this channel: full addresses, or whole domains written @example.com (a full address wins).',
  'spec.email.fromAddress': 'The address replies come from; its domain is the sending domain.',
  'spec.email.fromName': 'The display name of replies\' From.',
  'spec.email.messageIdDomain': 'The right-hand side of Parley\'s Message-IDs. Default the domain of fromAddress.',
  'spec.email.smtp': 'The relay replies are handed to (nodemailer). Without it the channel cannot send.',
  'spec.email.smtp.host': 'The relay\'s host.',
  'spec.email.smtp.port': 'The relay\'s port. Default 587, or 465 when secure.',
  'spec.email.smtp.secure': 'Implicit TLS from the first byte (port 465); otherwise STARTTLS when offered.',
  'spec.email.smtp.requireTls': 'Refuse to send unless STARTTLS succeeds.',
  'spec.email.smtp.user': 'The user name to log in with.',
  'spec.email.smtp.allowInvalidCertificate': 'Accept a server certificate that does not verify (an internal relay).',
  'spec.email.smtp.secrets': 'Secret references.',
  ...ref('spec.email.smtp.secrets.password', 'The relay password.'),
  'spec.email.imap': 'Poll this mailbox for customer mail, instead of (or beside) the SMTP listener.',
  'spec.email.imap.host': 'The IMAP server\'s host.',
  'spec.email.imap.port': 'The IMAP port. Default 993.',
  'spec.email.imap.secure': 'Implicit TLS.',
  'spec.email.imap.user': 'The user name to log in with.',
  'spec.email.imap.mailbox': 'The mailbox polled.',
  'spec.email.imap.pollInterval': 'How often the mailbox is polled.',
  'spec.email.imap.moveTo': 'After a mail is taken, move it to this mailbox instead of flagging it seen.',
  'spec.email.imap.allowInvalidCertificate': 'Accept a server certificate that does not verify.',
  'spec.email.imap.secrets': 'Secret references.',
  ...ref('spec.email.imap.secrets.password', 'The mailbox password.'),
  'spec.email.dkim': 'Sign replies with DKIM.',
  'spec.email.dkim.domainName': 'The signing domain (d=). Default the domain of fromAddress.',
  'spec.email.dkim.keySelector': 'The selector (s=): the public key is published at <selector>._domainkey.<domain>.',
  'spec.email.dkim.secrets': 'Secret references.',
  ...ref('spec.email.dkim.secrets.privateKey', 'The PEM private key.'),
  'spec.email.loadRemoteImages': 'Show remote images in the HTML agents see (they tell the sender the mail was opened); otherwise they become links.',
};
