import type { Kysely } from 'kysely';
import type { DeliveryStatus } from '../contract/index.ts';
import type { Database, MessageRow } from './database.ts';

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
