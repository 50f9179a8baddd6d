import type { NatsConnection } from '@nats-io/transport-node';
import { sql, type Kysely } from 'kysely';
import { startConsumeLoop, type ConsumeLoop, type Verdict } from '../bus/index.ts';
import { DeliveryReceipt, streams, subjects } from '../contract/index.ts';
import type { Database, NotificationRow } from '../store/index.ts';
import { CallbackFailedError, postStatusCallback } from './status-callback.ts';

export interface CallbackRetryOptions {
  /** Attempts per status before the callback is given up (recorded as `failed`). @default 8 */
  attempts?: number;
  /** The wait after the first failure; it doubles with each attempt. @default 1000 */
  firstDelayMs?: number;
  /** The longest wait between two attempts. @default 300000 (5 min) */
  maxDelayMs?: number;
  /** How long the receiver has to answer one attempt. @default 10000 */
  timeoutMs?: number;
}

export interface NotificationReceiptsOptions {
  nc: NatsConnection;
  db: Kysely<Database>;
  /** The durable consumer, shared by every gateway of the cluster. @default 'parley-notifications' */
  durable?: string;
  callbackRetry?: CallbackRetryOptions;
  onError?(err: unknown): void;
}

type Status = NotificationRow['status'];

/**
 * Follows delivery receipts (`parley.v1.receipts.>`, its own durable consumer) to move
 * notifications' status: `accepted` → `sent` → `delivered` → `read`, or `failed`; never
 * backwards (receipts may come out of order). Receipts of other messages (agents' replies,
 * campaigns) are acknowledged and ignored: one indexed lookup each.
 *
 * A notification with a `callbackUrl` then gets its new status POSTed, signed. A failed
 * callback is retried through JetStream's redelivery of the receipt (`nak` with an
 * exponential delay), so retries survive a restart; after `attempts` it is given up and
 * recorded as such in `callback_status`.
 */
export function startNotificationReceipts(options: NotificationReceiptsOptions): Promise<ConsumeLoop> {
  const { db } = options;
  const retry = { attempts: 8, firstDelayMs: 1_000, maxDelayMs: 300_000, timeoutMs: 10_000, ...options.callbackRetry };
  return startConsumeLoop(options.nc, {
    stream: streams.inbound.name,
    durable: options.durable ?? 'parley-notifications',
    filterSubject: subjects.all.receipts,
    concurrency: 16,
    ...(options.onError && { onError: (err: unknown) => options.onError?.(err) }),
    async handle(msg): Promise<Verdict> {
      let json: unknown;
      try {
        json = msg.json();
      } catch {
        // The router dead-letters malformed receipts; this consumer only follows notifications.
        return { ack: true };
      }
      const parsed = DeliveryReceipt.safeParse(json);
      if (!parsed.success) return { ack: true };
      const receipt = parsed.data;
      const row = await applyReceipt(db, receipt);
      if (!row || row.status !== receipt.status || !row.callback_url) return { ack: true };

      const attempt = msg.info.deliveryCount;
      try {
        const secret = await db.selectFrom('oauth_clients').select('callback_secret').where('id', '=', row.client_id).executeTakeFirst();
        // A client deleted from under its notifications cannot be signed for: nothing to send.
        if (!secret) return { ack: true };
        await postStatusCallback(
          row.callback_url,
          secret.callback_secret,
          {
            notificationId: row.id,
            messageId: row.message_id,
            status: row.status,
            reason: row.reason,
            category: row.category,
            transactional: row.transactional,
            timestamp: receipt.timestamp,
          },
          retry.timeoutMs,
        );
        await recordCallback(db, row.id, 'delivered');
        return { ack: true };
      } catch (err) {
        if (!(err instanceof CallbackFailedError)) throw err;
        options.onError?.(err);
        if (attempt >= retry.attempts) {
          await recordCallback(db, row.id, 'failed');
          return { ack: true };
        }
        await recordCallback(db, row.id, 'retrying');
        return { nak: Math.min(retry.maxDelayMs, retry.firstDelayMs * 2 ** (attempt - 1)) };
      }
    },
  });
}

// How far along a status is: a receipt never moves a notification back (`failed` after `delivered` is ignored).
const ranks: Record<Status, number> = { refused: -1, accepted: 0, sent: 1, delivered: 2, failed: 2, read: 3 };
const rankOfColumn = sql<number>`CASE status WHEN 'accepted' THEN 0 WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'failed' THEN 2 WHEN 'read' THEN 3 ELSE 99 END`;

/** Moves the notification of this receipt forward, if it is one; returns it (moved or not). */
async function applyReceipt(db: Kysely<Database>, receipt: DeliveryReceipt): Promise<NotificationRow | undefined> {
  const status: Status = receipt.status;
  const updated = await db
    .updateTable('notifications')
    .set({
      status,
      status_at: new Date(receipt.timestamp),
      reason: status === 'failed' ? (receipt.reason ?? 'failed') : sql<string | null>`reason`,
      provider_message_id: receipt.platformMessageId ?? sql<string | null>`provider_message_id`,
    })
    .where('message_id', '=', receipt.messageId)
    .where('tenant', '=', receipt.tenant)
    .where(sql<boolean>`${rankOfColumn} < ${ranks[status]}`)
    .returningAll()
    .executeTakeFirst();
  if (updated) return updated;
  return db.selectFrom('notifications').selectAll().where('message_id', '=', receipt.messageId).where('tenant', '=', receipt.tenant).executeTakeFirst();
}

async function recordCallback(db: Kysely<Database>, id: string, outcome: 'delivered' | 'retrying' | 'failed'): Promise<void> {
  await db
    .updateTable('notifications')
    .set((eb) => ({ callback_status: outcome, callback_attempts: eb('callback_attempts', '+', 1) }))
    .where('id', '=', id)
    .execute();
}
