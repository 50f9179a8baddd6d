import { sql, type Kysely } from 'kysely';
import type { DeliveryStatus, TranscriptMessage } from '../contract/index.ts';
import type { Database, MessageRow, NewMessage } from './database.ts';
import { PREPARED } from './preparing-pool.ts';

type Db = Kysely<Database>;

const statusRank: Record<DeliveryStatus, number> = { sent: 1, delivered: 2, read: 3, failed: 4 };

/** A delivery receipt, as `applyReceipts` takes it. */
export interface ReceiptUpdate {
  tenant: string;
  messageId: string;
  status: DeliveryStatus;
  at: Date;
  reason: string | undefined;
}

/**
 * Applies delivery receipts to outbound messages, in one statement for any number.
 * Receipts can arrive out of order: a status only moves forward (sent → delivered →
 * read), and `failed` is final — so of several receipts for one message, the highest
 * status wins (the first of equal ones), which is what applying them one by one would
 * do, and the UPDATE's condition, checked again on a row another transaction just
 * changed, keeps two batches from moving a message backwards.
 *
 * Returns the message ids that are Parley's own: a conversation's outbound message, a
 * campaign's or a notification's (those two have their own receipt consumers). Any other
 * receipt names no message Parley sent.
 */
export async function applyReceipts(db: Db, receipts: readonly ReceiptUpdate[]): Promise<Set<string>> {
  if (receipts.length === 0) return new Set();
  const column = <T>(pick: (r: ReceiptUpdate) => T) => receipts.map(pick);
  const { rows } = await sql<{ id: string }>`${sql.raw(PREPARED)}
    with r as (
      select * from unnest(${column((r) => r.tenant)}::text[], ${column((r) => r.messageId)}::uuid[], ${column((r) => r.status)}::text[],
                           ${column((r) => r.at.toISOString())}::timestamptz[], ${column((r) => r.reason ?? null)}::text[], ${column((r) => statusRank[r.status])}::int[])
        with ordinality as r(tenant, id, status, at, reason, rank, n)),
    best as (select distinct on (tenant, id) * from r order by tenant, id, rank desc, n),
    updated as (
      update messages m set delivery_status = b.status, delivery_reason = b.reason, delivery_updated_at = b.at
        from best b
       where m.id = b.id and m.tenant = b.tenant and m.direction = 'outbound'
         and coalesce(${rankSql}, 0) < b.rank
      returning m.id)
    select k.id::text as id from (select distinct tenant, id from r) k
     where exists (select 1 from messages m where m.id = k.id and m.tenant = k.tenant and m.direction = 'outbound')
        or exists (select 1 from campaign_attempts a where a.message_id = k.id and a.tenant = k.tenant)
        or exists (select 1 from notifications x where x.message_id = k.id and x.tenant = k.tenant)`.execute(db);
  return new Set(rows.map((r) => r.id));
}

/** `statusRank` of the row's current status, as SQL. */
const rankSql = sql.raw(`CASE m.delivery_status ${Object.entries(statusRank).map(([status, rank]) => `WHEN '${status}' THEN ${rank}`).join(' ')} END`);

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
