import type { NotificationRow } from '../store/index.ts';

/** A notification as `POST /v1/notifications` and `GET /v1/notifications/:id` show it. */
export interface NotificationView {
  id: string;
  /** `accepted` (published for sending), `refused` (not sent: see `reason`), then `sent`, `delivered`, `read` or `failed` as receipts arrive. */
  status: NotificationRow['status'];
  /** Why it was refused or failed: `RecipientOptedOut`, `DoNotContact`, `QuietHours` (with the next opening), or the provider's reason. */
  reason: string | null;
  channel: string;
  to: string;
  category: string;
  /** Whether the tenant had marked the category transactional when it was sent (suppression and quiet hours skipped). */
  transactional: boolean;
  /** The OutboundMessage id: delivery receipts name it. */
  messageId: string;
  conversationId: string;
  idempotencyKey: string | null;
  createdAt: string;
  statusAt: string;
}

export function notificationView(row: NotificationRow): NotificationView {
  return {
    id: row.id,
    status: row.status,
    reason: row.reason,
    channel: row.channel,
    to: row.recipient,
    category: row.category,
    transactional: row.transactional,
    messageId: row.message_id,
    conversationId: row.conversation_id,
    idempotencyKey: row.idempotency_key,
    createdAt: row.created_at.toISOString(),
    statusAt: row.status_at.toISOString(),
  };
}
