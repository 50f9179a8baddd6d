import { createHash } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { encode, headers, inboundMsgId, receiptMsgId, subjects, type DeliveryReceipt, type ErrorCode, type InboundMessage } from '../contract/index.ts';

/** Publishes a customer's message; resolves after the PubAck. A provider's retry carries the same id and is dropped by JetStream. */
export async function publishInbound(nc: NatsConnection, message: InboundMessage): Promise<{ duplicate: boolean }> {
  const ack = await jetstream(nc).publish(subjects.inbound(message.tenant, message.channel), encode(message), { msgID: inboundMsgId(message.tenant, message.channel, message.messageId) });
  return { duplicate: ack.duplicate };
}

/** Publishes a delivery receipt (one per message and status); resolves after the PubAck. */
export async function publishReceipt(nc: NatsConnection, receipt: DeliveryReceipt): Promise<void> {
  await jetstream(nc).publish(subjects.receipts(receipt.tenant, receipt.channel), encode(receipt), { msgID: receiptMsgId(receipt.messageId, receipt.status) });
}

/**
 * Sets raw bytes aside on `parley.v1.deadletter.channels` with the reason, de-duplicated by
 * their hash (a provider retrying the same payload leaves one dead letter).
 */
export async function deadLetterBytes(nc: NatsConnection, raw: Uint8Array, origin: string, code: ErrorCode, detail: string): Promise<void> {
  const h = natsHeaders();
  h.set(headers.deadLetterReason, code);
  // eslint-disable-next-line no-control-regex -- a header value ends at a line break
  h.set(headers.deadLetterDetail, detail.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 1024));
  h.set(headers.originalSubject, origin);
  const id = createHash('sha256').update(origin).update(raw).digest('hex');
  await jetstream(nc).publish(subjects.deadLetter('channels'), raw, { headers: h, msgID: `dl:channels:${id}` });
}
