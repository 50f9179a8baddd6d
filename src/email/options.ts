/**
 * Settings of one e-mail Channel, filled by the channels process from the Channel
 * resource (secrets resolved). Inbound mail arrives either at the process's SMTP
 * listener (`addresses` say which recipients are this channel's) or by IMAP polling
 * (`imap`); outbound mail leaves through `smtp`.
 */
export interface EmailChannelOptions {
  readonly tenant: string;
  /** The Channel's name. */
  readonly channel: string;
  /**
   * Recipients that belong to this channel at the SMTP listener: full addresses
   * (`support@acme.example`) or whole domains (`@acme.example`). Case-insensitive; a full
   * address wins over a domain. @default [] (no mail accepted by the listener for it)
   */
  readonly addresses?: readonly string[];
  /** The address outbound mail comes from, e.g. `support@acme.example`; its domain is the sending domain. */
  readonly fromAddress: string;
  /** The display name of outbound mail's From. @default none */
  readonly fromName?: string;
  /** The right-hand side of Parley's Message-IDs, `<messageId@domain>`. @default the domain of `fromAddress` */
  readonly messageIdDomain?: string;
  /** Where outbound mail is handed over. Absent: the channel cannot send. */
  readonly smtp?: OutboundSmtpOptions;
  /** DKIM-sign outbound mail (nodemailer's `dkim` option). @default none (not signed) */
  readonly dkim?: DkimOptions;
  /** Poll this mailbox instead of (or beside) the SMTP listener. @default none */
  readonly imap?: ImapOptions;
  /**
   * Where agents fetch stored attachments: an attachment's URL is this base followed by
   * its id (the gateway serves it after checking the caller's tenant, see
   * `readEmailAttachment`), e.g. `https://parley.example.com/v1/email-attachments/`.
   */
  readonly attachmentBaseUrl: string;
  /** Show remote images in the sanitized HTML (they tell the sender the mail was opened). @default false (turned into links) */
  readonly loadRemoteImages?: boolean;
}

export interface OutboundSmtpOptions {
  readonly host: string;
  /** @default 587 (465 when `secure`) */
  readonly port?: number;
  /** Implicit TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. @default false */
  readonly secure?: boolean;
  /** Refuse to send unless STARTTLS succeeds. @default false */
  readonly requireTls?: boolean;
  readonly user?: string;
  /** From the Channel's secret. */
  readonly password?: string;
  /** Accept a server certificate that does not verify (a test or an internal relay). @default false */
  readonly allowInvalidCertificate?: boolean;
  /** How long to wait for the server at each step before a retry outcome. @default 30000 */
  readonly timeoutMs?: number;
}

export interface DkimOptions {
  /** The signing domain (`d=`). @default the domain of `fromAddress` */
  readonly domainName?: string;
  /** The selector (`s=`): the public key is published at `<selector>._domainkey.<domain>`. */
  readonly keySelector: string;
  /** The PEM private key, from the Channel's secret. */
  readonly privateKey: string;
}

export interface ImapOptions {
  readonly host: string;
  /** @default 993 */
  readonly port?: number;
  /** Implicit TLS. @default true */
  readonly secure?: boolean;
  readonly user: string;
  /** From the Channel's secret. */
  readonly password: string;
  /** @default 'INBOX' */
  readonly mailbox?: string;
  /** @default 60000 */
  readonly pollIntervalMs?: number;
  /** After the PubAck: flag the mail `\Seen`, or move it to this mailbox. @default 'seen' */
  readonly afterPublish?: 'seen' | { readonly moveTo: string };
  /** Accept a server certificate that does not verify. @default false */
  readonly allowInvalidCertificate?: boolean;
}

/** The process-wide SMTP listener (one MX for every e-mail channel). */
export interface SmtpListenerOptions {
  /** @default '0.0.0.0' */
  readonly host?: string;
  /** @default 25 (0: any free port) */
  readonly port?: number;
  /** PEM key and certificate for STARTTLS. @default none (plain SMTP only) */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /** Larger mail is refused with 552 (announced with the SIZE extension). @default 26214400 (25 MiB) */
  readonly maxMessageBytes?: number;
  /** The name the listener greets with. @default os.hostname() */
  readonly hostname?: string;
}

export const EMAIL_DEFAULTS = {
  listenerHost: '0.0.0.0',
  listenerPort: 25,
  maxMessageBytes: 25 * 1024 * 1024,
  smtpPort: 587,
  smtpsPort: 465,
  smtpTimeoutMs: 30_000,
  imapPort: 993,
  mailbox: 'INBOX',
  pollIntervalMs: 60_000,
} as const;

/** The domain of an address (`a@b.example` → `b.example`). */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0 || at === address.length - 1) throw new Error(`not an e-mail address: ${address}`);
  return address.slice(at + 1).toLowerCase();
}
