import { simpleParser, type ParsedMail } from 'mailparser';
import { InboundMessage } from '../contract/index.ts';
import { UnmappablePayloadError } from '../channels/index.ts';
import { attachmentId, type StoredAttachment } from './email-store.ts';
import { messageIdOf, referencedIds } from './message-ids.ts';
import { sanitizeMailHtml } from './sanitize-mail-html.ts';

/** The contract's limits: text length and attachments per message. */
const MAX_TEXT = 65_536;
const MAX_ATTACHMENTS = 20;
/** The attribute that carries the subject, for inbound-flow rules (e.g. route "Invoice" mails to billing). */
export const SUBJECT_ATTRIBUTE = 'emailSubject';

/** Where a mail goes: the Channel its recipient (or mailbox) belongs to. */
export interface MailTarget {
  readonly tenant: string;
  readonly channel: string;
  readonly attachmentBaseUrl: string;
  readonly loadRemoteImages?: boolean | undefined;
}

/** A mail turned into its envelope, with the bytes to store before it is published. */
export interface MappedMail {
  readonly message: InboundMessage;
  readonly subject: string | undefined;
  readonly attachments: readonly (StoredAttachment & { content: Buffer })[];
}

/** Parses raw RFC 5322 bytes; a mail mailparser cannot read at all is unmappable. */
export async function parseMail(raw: Buffer): Promise<ParsedMail> {
  try {
    // cid: links are kept: they are pointed at the stored attachments instead of inlined as data: URIs.
    return await simpleParser(raw, { keepCidLinks: true });
  } catch (err) {
    throw new UnmappablePayloadError('the mail cannot be parsed as MIME', { cause: err });
  }
}

function urlOf(base: string, id: string): string {
  return base.endsWith('/') ? `${base}${id}` : `${base}/${id}`;
}

/**
 * One InboundMessage for one mail on one channel: the sender by its From address, the
 * text part (or the text mailparser derives from the HTML), the sanitized HTML as a
 * `text/html` attachment, every attachment stored and referenced by URL, the subject as
 * the `emailSubject` attribute, and the ids the mail answers as `references`.
 */
export function mailToInbound(mail: ParsedMail, raw: Buffer, target: MailTarget, receivedAt: Date): MappedMail {
  const sender = mail.from?.value.find((a) => a.address);
  if (!sender?.address) throw new UnmappablePayloadError('the mail has no From address');
  const messageId = messageIdOf(mail.messageId, raw);
  const stored: (StoredAttachment & { content: Buffer })[] = [];
  const store = (content: Buffer, contentType: string, filename: string | undefined) => {
    const a = { id: attachmentId(target.tenant, target.channel, messageId, stored.length), contentType, size: content.length, content, ...(filename ? { filename } : {}) };
    stored.push(a);
    return a;
  };

  const inlineImages = new Map<string, string>();
  for (const part of mail.attachments) {
    const a = store(part.content, part.contentType || 'application/octet-stream', part.filename);
    if (part.cid) inlineImages.set(part.cid, urlOf(target.attachmentBaseUrl, a.id));
  }
  if (mail.html) {
    const safe = sanitizeMailHtml(mail.html, { inlineImages, loadRemoteImages: target.loadRemoteImages ?? false });
    store(Buffer.from(safe, 'utf8'), 'text/html; charset=utf-8', 'message.html');
  }
  let text = (mail.text ?? '').trim();
  if (text.length > MAX_TEXT) {
    // The whole text stays readable as a file; the message carries its beginning.
    store(Buffer.from(text, 'utf8'), 'text/plain; charset=utf-8', 'message.txt');
    text = `${text.slice(0, MAX_TEXT - 80).trimEnd()}\n[… the whole text is in message.txt]`;
  }
  const subject = mail.subject?.trim() || undefined;
  // A mail that says everything in its subject still reaches an agent.
  if (!text && stored.length === 0 && subject) text = subject;
  const listed = stored.slice(0, MAX_ATTACHMENTS);
  if (stored.length > MAX_ATTACHMENTS) text = `${text}\n[${stored.length - MAX_ATTACHMENTS} more attachments are stored with this mail]`.slice(-MAX_TEXT);

  const date = mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date : receivedAt;
  const references = referencedIds(mail.inReplyTo, mail.references);
  const address = sender.address.toLowerCase();
  const candidate = {
    version: 1,
    tenant: target.tenant,
    channel: target.channel,
    messageId,
    timestamp: date.toISOString(),
    from: { id: address, idType: 'email', email: address, ...(sender.name ? { name: sender.name.slice(0, 256) } : {}) },
    ...(text ? { text } : {}),
    ...(listed.length > 0 && {
      attachments: listed.map((a) => ({ url: urlOf(target.attachmentBaseUrl, a.id), contentType: a.contentType.slice(0, 255), size: a.size, ...(a.filename ? { filename: a.filename.slice(0, 255) } : {}) })),
    }),
    ...(subject && { attributes: { [SUBJECT_ATTRIBUTE]: subject.slice(0, 1024) } }),
    ...(references.length > 0 && { references }),
  };
  const parsed = InboundMessage.safeParse(candidate);
  if (!parsed.success) {
    const why = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new UnmappablePayloadError(`the mapped message breaks the contract: ${why}`);
  }
  return { message: parsed.data, subject, attachments: stored };
}
