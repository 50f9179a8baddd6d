/** The e-mail channel: SMTP listener and IMAP polling in, nodemailer out, threading by Message-ID. */
export type * from './options.ts';
export { EMAIL_DEFAULTS } from './options.ts';
export { startSmtpInbound, type SmtpInbound } from './smtp-inbound.ts';
export { startImapPoller, type ImapPoller } from './imap-poller.ts';
export { startEmailInbound, type EmailInbound, type EmailInboundOptions } from './start-inbound.ts';
export { createEmailTransport, replySubject, type EmailTransport, type EmailTransportOptions } from './email-transport.ts';
export { readEmailAttachment, type EmailAttachmentContent } from './email-store.ts';
export { acceptMail, type MailDeps, type MailOutcome } from './publish-mail.ts';
export { SUBJECT_ATTRIBUTE } from './mail-to-inbound.ts';
export { ownMessageId } from './message-ids.ts';
