import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Headers, Splitter, type MimeNode } from '@zone-eu/mailsplit';
import { normalizeMessageId } from './message-ids.ts';

/**
 * A delivery status notification (RFC 3464): a bounce, or a delay warning, that a mail
 * server sends back about a mail Parley sent. It is not a customer writing.
 */
export interface DeliveryReport {
  /** Per recipient: `failed` (a bounce), `delayed`, `delivered`, `relayed` or `expanded`. */
  readonly recipients: readonly DeliveryReportRecipient[];
  /** The Message-ID of the mail it reports on, from the returned message or its headers. */
  readonly originalMessageId: string | undefined;
}

export interface DeliveryReportRecipient {
  readonly action: string;
  /** The enhanced status code (RFC 3463), e.g. `5.1.1`. */
  readonly status: string | undefined;
  /** The remote server's words, e.g. `smtp; 550 5.1.1 User unknown`. */
  readonly diagnostic: string | undefined;
  readonly finalRecipient: string | undefined;
}

/** A mail is a delivery report when it says so in its top-level Content-Type. */
export function isDeliveryReport(contentType: { value: string; params: Record<string, string> } | undefined): boolean {
  return contentType?.value.toLowerCase() === 'multipart/report' && contentType.params['report-type']?.toLowerCase() === 'delivery-status';
}

/**
 * Walks the report's MIME parts (mailsplit, the splitter mailparser itself stands on):
 * the `message/delivery-status` part gives the per-recipient fields, and the returned
 * `message/rfc822` (or `text/rfc822-headers`) part the original Message-ID.
 */
export async function readDeliveryReport(raw: Buffer): Promise<DeliveryReport> {
  let statusText = '';
  let returnedHeaders = '';
  let current: MimeNode | undefined;

  const sink = new Writable({
    objectMode: true,
    write(chunk: { type: string; value?: Buffer } & Partial<MimeNode>, _encoding, done) {
      if (chunk.type === 'node') current = chunk as MimeNode;
      else if (chunk.type === 'body' && chunk.value && current) {
        // Delivery-status and header parts are 7-bit text: no transfer decoding needed.
        if (current.contentType === 'message/delivery-status') statusText += chunk.value.toString('utf8');
        else if (current.contentType === 'text/rfc822-headers' || current.contentType === 'message/rfc822') returnedHeaders += chunk.value.toString('utf8');
      }
      done();
    },
  });
  // The returned message stays one part (its header block is all that is read).
  await pipeline(Readable.from([raw]), new Splitter({ ignoreEmbedded: true }), sink);

  // The returned message's header block: everything up to its first blank line.
  const returnedBlock = returnedHeaders.replace(/\r\n/g, '\n').split(/\n\s*\n/)[0] ?? '';
  const originalMessageId = normalizeMessageId(new Headers(Buffer.from(`${returnedBlock}\n\n`)).getFirst('message-id'));
  // Per-message fields, a blank line, then one block of fields per recipient.
  const blocks = statusText
    .replace(/\r\n/g, '\n')
    .split(/\n\s*\n/)
    .map((block) => new Headers(Buffer.from(`${block.trim()}\n\n`)));
  const recipients = blocks
    .filter((fields) => fields.hasHeader('action'))
    .map((fields) => ({
      action: fields.getFirst('action').toLowerCase(),
      status: fields.getFirst('status') || undefined,
      diagnostic: fields.getFirst('diagnostic-code').replace(/\s+/g, ' ') || undefined,
      finalRecipient: fields.getFirst('final-recipient').replace(/^rfc822;\s*/i, '') || undefined,
    }));
  return { recipients, originalMessageId };
}

/** What a permanent enhanced status code means (RFC 3463 subjects), for the `failed` receipt. */
export function bounceReason(recipient: DeliveryReportRecipient): string {
  const status = recipient.status ?? '5.0.0';
  const [, subject, detail] = status.split('.');
  const meaning =
    subject === '1'
      ? 'RecipientRejected'
      : subject === '2' && detail === '2'
        ? 'MailboxFull'
        : subject === '2'
          ? 'MailboxUnavailable'
          : subject === '3' && detail === '4'
            ? 'MessageTooLarge'
            : subject === '7'
              ? 'MessageRejected'
              : 'Bounced';
  const why = recipient.diagnostic ? `: ${recipient.diagnostic}` : '';
  return `${meaning} (dsn ${status})${why}`.slice(0, 256);
}
