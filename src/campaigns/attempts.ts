import { sql, type Kysely, type Transaction } from 'kysely';
import type { DeliveryReceipt } from '../contract/index.ts';
import type { AttemptStatus, CampaignDatabase } from './tables.ts';

type Db = Kysely<CampaignDatabase> | Transaction<CampaignDatabase>;

/** An attempt as the runner decides it, before it is written. */
export interface PlannedAttempt {
  contactId: string;
  messageId: string;
  conversationId: string;
  address: string | null;
  status: Extract<AttemptStatus, 'waiting' | 'sending' | 'skipped' | 'failed'>;
  reason: string | null;
  dueAt: Date | null;
}

/**
 * Writes attempts in one statement: new contacts get their row; a contact whose row is
 * `waiting` (or `sending`, recovered after a crash) has it updated. A row in any other
 * state is left alone — it was attempted already — and is not returned: only the
 * returned rows may be published.
 */
export async function writeAttempts(
  trx: Transaction<CampaignDatabase>,
  at: { tenant: string; campaign: string; listId: string; channel: string; epoch: string },
  planned: readonly PlannedAttempt[],
): Promise<Set<string>> {
  if (planned.length === 0) return new Set();
  const rows = await trx
    .insertInto('campaign_attempts')
    .values(
      planned.map((p) => ({
        tenant: at.tenant,
        campaign: at.campaign,
        contact_id: p.contactId,
        list_id: at.listId,
        message_id: p.messageId,
        conversation_id: p.conversationId,
        channel: at.channel,
        address: p.address,
        status: p.status,
        reason: p.reason,
        due_at: p.dueAt,
        epoch: at.epoch,
      })),
    )
    .onConflict((oc) =>
      oc
        .columns(['tenant', 'campaign', 'contact_id'])
        .doUpdateSet((eb) => ({
          status: eb.ref('excluded.status'),
          reason: eb.ref('excluded.reason'),
          due_at: eb.ref('excluded.due_at'),
          epoch: eb.ref('excluded.epoch'),
          attempted_at: sql<Date>`now()`,
        }))
        .where('campaign_attempts.status', 'in', ['waiting', 'sending']),
    )
    .returning('contact_id')
    .execute();
  return new Set(rows.map((r) => r.contact_id));
}

/** Marks attempts published once JetStream acknowledged their messages (a receipt may have moved them on already). */
export async function markPublished(db: Db, messageIds: readonly string[]): Promise<void> {
  if (messageIds.length === 0) return;
  await db
    .updateTable('campaign_attempts')
    .set({ status: 'published', published_at: sql<Date>`now()` })
    .where('message_id', 'in', messageIds)
    .where('status', '=', 'sending')
    .execute();
}

/** Attempt statuses a receipt may move on from: a message never goes back from delivered. */
const movableBy: Record<DeliveryReceipt['status'], AttemptStatus[]> = {
  sent: ['sending', 'published'],
  delivered: ['sending', 'published', 'sent', 'failed'],
  read: ['sending', 'published', 'sent', 'failed', 'delivered'],
  failed: ['sending', 'published', 'sent'],
};

/**
 * Records a delivery receipt on the attempt whose message it names (none: not a campaign
 * message, nothing to do). The first receipt is the provider's answer (`sent` = accepted,
 * `failed` = rejected) and stays; the final receipt (delivered, read, failed) is kept
 * with its time. Out-of-order receipts never move an attempt backwards.
 */
export async function recordReceipt(db: Db, receipt: DeliveryReceipt): Promise<{ tenant: string; campaign: string; contactId: string } | undefined> {
  const final = receipt.status !== 'sent';
  const row = await db
    .updateTable('campaign_attempts')
    .set((eb) => ({
      provider_status: sql`coalesce(${eb.ref('provider_status')}, ${receipt.status === 'failed' ? 'failed' : 'sent'})`,
      provider_at: sql`coalesce(${eb.ref('provider_at')}, ${receipt.timestamp}::timestamptz)`,
      platform_message_id: sql`coalesce(${receipt.platformMessageId ?? null}, ${eb.ref('platform_message_id')})`,
      ...(final && { final_status: receipt.status, final_at: receipt.timestamp }),
      status: receipt.status === 'read' ? 'delivered' : receipt.status,
      reason: receipt.status === 'failed' ? (receipt.reason ?? 'failed') : null,
    }))
    .where('message_id', '=', receipt.messageId)
    .where('tenant', '=', receipt.tenant)
    .where('status', 'in', movableBy[receipt.status])
    .returning(['tenant', 'campaign', 'contact_id'])
    .executeTakeFirst();
  return row && { tenant: row.tenant, campaign: row.campaign, contactId: row.contact_id };
}

/** A campaign's progress, counted from its attempts. */
export interface CampaignProgress {
  /** Contacts in the list. */
  total: number;
  /** Contacts done with: sent, failed or skipped. */
  processed: number;
  /** Messages handed to the channel (published, accepted or delivered). */
  sent: number;
  delivered: number;
  failed: number;
  skipped: number;
  /** Skipped contacts by reason (opted-out, do-not-contact, …). */
  skippedByReason: Record<string, number>;
  /** Contacts waiting for their sending window. */
  waiting: number;
  /** Contacts who replied within the reply window (campaigns with `spec.replies`). */
  replied: number;
}

export async function campaignProgress(db: Db, tenant: string, campaign: string, listId: string): Promise<CampaignProgress> {
  const [counts, total] = await Promise.all([
    db
      .selectFrom('campaign_attempts')
      .select(['status', 'reason', (eb) => eb.fn.countAll<string>().as('n'), (eb) => eb.fn.count<string>('replied_at').as('replied')])
      .where('tenant', '=', tenant)
      .where('campaign', '=', campaign)
      .groupBy(['status', 'reason'])
      .execute(),
    db.selectFrom('contacts').select((eb) => eb.fn.countAll<string>().as('n')).where('tenant', '=', tenant).where('list_id', '=', listId).executeTakeFirstOrThrow(),
  ]);
  const progress: CampaignProgress = { total: Number(total.n), processed: 0, sent: 0, delivered: 0, failed: 0, skipped: 0, skippedByReason: {}, waiting: 0, replied: 0 };
  for (const row of counts) {
    const n = Number(row.n);
    progress.replied += Number(row.replied);
    if (row.status === 'waiting') progress.waiting += n;
    else if (row.status === 'skipped') {
      progress.skipped += n;
      const reason = row.reason ?? 'unknown';
      progress.skippedByReason[reason] = (progress.skippedByReason[reason] ?? 0) + n;
    } else if (row.status === 'failed') progress.failed += n;
    else if (row.status !== 'sending') {
      progress.sent += n;
      if (row.status === 'delivered') progress.delivered += n;
    }
  }
  progress.processed = progress.sent + progress.failed + progress.skipped;
  return progress;
}
