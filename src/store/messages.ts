import type { Kysely } from 'kysely';
import type { DeliveryStatus, TranscriptMessage } from '../contract/index.ts';
import type { Database, MessageRow, NewMessage } from './database.ts';

type Db = Kysely<Database>;

const statusRank: Record<DeliveryStatus, number> = { sent: 1, delivered: 2, read: 3, failed: 4 };

/**
 * Applies a delivery receipt to an outbound message. Receipts can arrive out of order: a
 * status only moves forward (sent → delivered → read), and `failed` is final.
 */
export async function applyReceipt(
  db: Db,
  tenant: string,
  messageId: string,
  status: DeliveryStatus,
  at: Date,
  reason: string | undefined,
): Promise<boolean> {
  const row = await db
    .selectFrom('messages')
    .select(['delivery_status'])
    .where('tenant', '=', tenant)
    .where('id', '=', messageId)
    .where('direction', '=', 'outbound')
    .forUpdate()
    .executeTakeFirst();
  if (!row) return false;
  const current = row.delivery_status as DeliveryStatus | null;
  if (current && (current === 'failed' || statusRank[current] >= statusRank[status])) return true;
  await db
    .updateTable('messages')
    .set({ delivery_status: status, delivery_reason: reason ?? null, delivery_updated_at: at })
    .where('id', '=', messageId)
    .execute();
  return true;
}

/** Every message of a customer, all conversations and channels, oldest first. */
export async function customerHistory(db: Db, tenant: string, customerId: string): Promise<MessageRow[]> {
  return db
    .selectFrom('messages')
    .selectAll()
    .where('tenant', '=', tenant)
    .where('customer_id', '=', customerId)
    .orderBy('sent_at')
    .orderBy('created_at')
    .execute();
}

/** Where a transcript message is filed, beyond the message itself. */
export interface MessageFiling {
  tenant: string;
  customerId: string;
  /** The provider's message id (inbound). */
  platformMessageId?: string | null;
  /** Inbound: the provider's own time, kept even when `sentAt` differs from it. */
  providerSentAt?: Date;
}

/** The row of a transcript message (the one mapping of a message to its row). */
export function messageRow(message: TranscriptMessage, filing: MessageFiling): NewMessage {
  return {
    id: message.id,
    tenant: filing.tenant,
    conversation_id: message.conversationId,
    customer_id: filing.customerId,
    channel: message.channel,
    direction: message.direction,
    platform_message_id: filing.platformMessageId ?? null,
    agent_id: message.agentId ?? null,
    text: message.text ?? null,
    attachments: message.attachments ? JSON.stringify(message.attachments) : null,
    content: message.content ? JSON.stringify(message.content) : null,
    sent_at: message.sentAt,
    ...(filing.providerSentAt && { provider_sent_at: filing.providerSentAt }),
    delivery_status: null,
    delivery_reason: null,
    delivery_updated_at: null,
  };
}
