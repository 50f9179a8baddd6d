import { createHash } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import { DeliveryReceipt, encode, headers, inboundMsgId, receiptMsgId, subjects } from '../contract/index.ts';
import { UnmappablePayloadError } from '../channels/index.ts';
import type { Database } from '../store/index.ts';
import { storeInboundMail } from './email-store.ts';
import { bounceReason, isDeliveryReport, readDeliveryReport } from './delivery-report.ts';
import { mailToInbound, parseMail, type MailTarget } from './mail-to-inbound.ts';

export interface MailDeps {
  readonly nc: NatsConnection;
  readonly db: Kysely<Database>;
}

export type MailOutcome =
  | { readonly kind: 'published'; readonly duplicate: boolean }
  /** A bounce of a mail Parley sent: its `failed` receipt was published. */
  | { readonly kind: 'bounced'; readonly messageId: string; readonly duplicate: boolean }
  /** A delivery report that asks nothing (a delay warning, a success notice): taken, not published. */
  | { readonly kind: 'reported'; readonly action: string }
  | { readonly kind: 'deadLettered'; readonly reason: string };

/** Parley's Message-ID of an outbound mail, `<OutboundMessage id@domain>` (`ownMessageId`). */
const ownId = /^<([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})@[^>]+>$/i;

/**
 * Takes one received mail for one channel: parses and maps it, stores its attachments
 * and Message-ID, publishes the InboundMessage (`Nats-Msg-Id` from the Message-ID) and
 * resolves once JetStream acknowledged it, so that the caller answers the sending server
 * (SMTP 250, IMAP \Seen) only then. A mail that cannot be mapped is dead-lettered with
 * the reason and resolves too (the sender must not retry it). Any other failure (NATS,
 * the database) rejects: the caller answers "try again later".
 */
export async function acceptMail(deps: MailDeps, raw: Buffer, target: MailTarget, receivedAt = new Date()): Promise<MailOutcome> {
  let mapped;
  try {
    const mail = await parseMail(raw);
    // A mail server reporting on a mail Parley sent is not a customer writing.
    if (isDeliveryReport(mail.headers.get('content-type') as { value: string; params: Record<string, string> } | undefined)) return await acceptDeliveryReport(deps, raw, target, receivedAt);
    mapped = mailToInbound(mail, raw, target, receivedAt);
  } catch (err) {
    if (!(err instanceof UnmappablePayloadError)) throw err;
    await deadLetterMail(deps, raw, target, err.reason);
    return { kind: 'deadLettered', reason: err.reason };
  }
  const { message } = mapped;
  await storeInboundMail(deps.db, { tenant: message.tenant, channel: message.channel, messageId: message.messageId, subject: mapped.subject }, mapped.attachments);
  const ack = await jetstream(deps.nc).publish(subjects.inbound(message.tenant, message.channel), encode(message), {
    msgID: inboundMsgId(message.tenant, message.channel, message.messageId),
  });
  return { kind: 'published', duplicate: ack.duplicate };
}

/**
 * A delivery status notification (RFC 3464): a bounce becomes the `failed` receipt of the
 * mail it returns (found by Parley's Message-ID in the returned headers), so the agent,
 * the campaign or the notification sees the failure and its reason; a delay warning or
 * a success notice needs nothing. A bounce of a mail Parley did not send is unmappable.
 */
async function acceptDeliveryReport(deps: MailDeps, raw: Buffer, target: MailTarget, receivedAt: Date): Promise<MailOutcome> {
  let report;
  try {
    report = await readDeliveryReport(raw);
  } catch (err) {
    throw new UnmappablePayloadError('the delivery report cannot be read as MIME', { cause: err });
  }
  const failed = report.recipients.find((r) => r.action === 'failed');
  if (!failed) return { kind: 'reported', action: report.recipients[0]?.action ?? 'none' };
  const messageId = ownId.exec(report.originalMessageId ?? '')?.[1]?.toLowerCase();
  if (!messageId) throw new UnmappablePayloadError(`a bounce of a mail Parley did not send (returned Message-ID ${report.originalMessageId ?? 'missing'})`);
  const receipt = DeliveryReceipt.parse({
    version: 1,
    tenant: target.tenant,
    channel: target.channel,
    messageId,
    status: 'failed',
    timestamp: receivedAt.toISOString(),
    reason: bounceReason(failed),
  });
  const ack = await jetstream(deps.nc).publish(subjects.receipts(target.tenant, target.channel), encode(receipt), { msgID: receiptMsgId(messageId, 'failed') });
  return { kind: 'bounced', messageId, duplicate: ack.duplicate };
}

/**
 * Dead-letters the raw mail with the reason. A mail larger than NATS carries is kept in
 * the attachments table instead, and the dead letter names it.
 */
async function deadLetterMail(deps: MailDeps, raw: Buffer, target: MailTarget, reason: string): Promise<void> {
  const digest = createHash('sha256').update(raw).digest('hex');
  const h = natsHeaders();
  h.set(headers.deadLetterReason, 'invalidEnvelope');
  // eslint-disable-next-line no-control-regex -- a header value ends at a line break
  h.set(headers.deadLetterDetail, `e-mail: ${reason}`.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 1024));
  h.set(headers.originalSubject, subjects.inbound(target.tenant, target.channel));
  let payload: Uint8Array = raw;
  if (raw.length > (deps.nc.info?.max_payload ?? 1024 * 1024) - 64 * 1024) {
    const id = digest.slice(0, 8) + '-' + digest.slice(8, 12) + '-8' + digest.slice(13, 16) + '-a' + digest.slice(17, 20) + '-' + digest.slice(20, 32);
    await storeInboundMail(deps.db, { tenant: target.tenant, channel: target.channel, messageId: `<${digest}@dead-letter.parley.invalid>`, subject: undefined }, [
      { id, contentType: 'message/rfc822', size: raw.length, content: raw, filename: 'dead-letter.eml' },
    ]);
    payload = encode({ storedAs: 'email_attachments', id, size: raw.length });
  }
  await jetstream(deps.nc).publish(subjects.deadLetter('inbound'), payload, { headers: h, msgID: `dl:email:${digest}` });
}
