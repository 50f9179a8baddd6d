import { sql, type Kysely, type Transaction } from 'kysely';
import type { DeliveryReceipt } from '../contract/index.ts';
import { readAttemptCounts, readListSize } from './attempt-counts.ts';
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

/** What a batch moves besides its attempts: the run's sweep of the list and the acknowledged publishes of earlier batches. */
export interface BatchWrite {
  /** Lowest and highest list positions this batch took from the list (none: only waiting attempts). */
  swept?: { min: string; max: string };
  /** Messages JetStream acknowledged since the last batch: their attempts become `published`. */
  published: readonly string[];
}

/**
 * Writes a batch in one statement: its attempts, the run's cursor and low-water mark,
 * and `published` for the earlier batches' acknowledged messages (those rows are
 * `sending` and never among this batch's, which are new or `waiting`).
 *
 * New contacts get their row; a contact whose row is `waiting` (or `sending`, recovered
 * after a crash) has it updated. A row in any other state is left alone — it was
 * attempted already — and is not returned: only the returned rows may be published.
 * The rows travel as one array per column (`unnest`): a dozen parameters for any batch
 * size, not a dozen per row.
 */
export async function writeAttempts(
  trx: Db,
  at: { tenant: string; campaign: string; listId: string; channel: string; epoch: string },
  planned: readonly PlannedAttempt[],
  also: BatchWrite = { published: [] },
): Promise<Set<string>> {
  if (planned.length === 0) {
    await markPublished(trx, also.published);
    return new Set();
  }
  const column = <T>(pick: (p: PlannedAttempt) => T) => planned.map(pick);
  const { rows } = await sql<{ contact_id: string }>`
    WITH written AS (
      INSERT INTO campaign_attempts (tenant, campaign, contact_id, list_id, message_id, conversation_id, channel, address, status, reason, due_at, epoch)
      SELECT ${at.tenant}, ${at.campaign}, u.contact_id, ${at.listId}, u.message_id, u.conversation_id, ${at.channel}, u.address, u.status, u.reason, u.due_at, ${at.epoch}::bigint
        FROM unnest(${column((p) => p.contactId)}::text[], ${column((p) => p.messageId)}::uuid[], ${column((p) => p.conversationId)}::uuid[],
                    ${column((p) => p.address)}::text[], ${column((p) => p.status)}::text[], ${column((p) => p.reason)}::text[],
                    ${column((p) => p.dueAt?.toISOString() ?? null)}::timestamptz[])
             AS u(contact_id, message_id, conversation_id, address, status, reason, due_at)
      ON CONFLICT (tenant, campaign, contact_id) DO UPDATE
         SET status = excluded.status, reason = excluded.reason, due_at = excluded.due_at, epoch = excluded.epoch, attempted_at = now()
       WHERE campaign_attempts.status IN ('waiting', 'sending')
      RETURNING contact_id
    ), swept AS (
      UPDATE campaign_runs
         SET cursor = greatest(coalesce(cursor, ${also.swept?.max ?? null}::bigint), ${also.swept?.max ?? null}::bigint),
             low_water = least(coalesce(low_water, ${also.swept?.min ?? null}::bigint), ${also.swept?.min ?? null}::bigint)
       WHERE tenant = ${at.tenant} AND name = ${at.campaign} AND ${also.swept?.max ?? null}::bigint IS NOT NULL
    ), published AS (
      UPDATE campaign_attempts
         SET status = 'published', published_at = now()
       WHERE message_id = ANY(${also.published}::uuid[]) AND status = 'sending'
    )
    SELECT contact_id FROM written`.execute(trx);
  return new Set(rows.map((r) => r.contact_id));
}

/** Marks attempts published once JetStream acknowledged their messages (a receipt may have moved them on already). */
export async function markPublished(db: Db, messageIds: readonly string[]): Promise<void> {
  if (messageIds.length === 0) return;
  await db
    .updateTable('campaign_attempts')
    .set({ status: 'published', published_at: sql<Date>`now()` })
    .where(sql<boolean>`message_id = ANY(${messageIds}::uuid[])`)
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

/** `movableBy` as SQL over the receipt row `r`: the attempt statuses its receipt may move on from. */
const movableSql = sql.raw(
  `CASE r.status ${Object.entries(movableBy)
    .map(([receipt, from]) => `WHEN '${receipt}' THEN ARRAY[${from.map((s) => `'${s}'`).join(', ')}]`)
    .join(' ')} END`,
);

/**
 * Records delivery receipts on the attempts whose messages they name (none: not a
 * campaign message, nothing to do), one statement per batch. The first receipt is the
 * provider's answer (`sent` = accepted, `failed` = rejected) and stays; the final receipt
 * (delivered, read, failed) is kept with its time. Out-of-order receipts never move an
 * attempt backwards.
 *
 * An UPDATE … FROM applies at most one source row to a target row, so receipts of the
 * same message go in rounds, in their order: the k-th receipt of each message in round k
 * (one round in the usual case), which is what applying them one by one would do.
 */
export async function recordReceipts(db: Db, receipts: readonly DeliveryReceipt[]): Promise<number> {
  const rounds: DeliveryReceipt[][] = [];
  const seen = new Map<string, number>();
  for (const r of receipts) {
    const k = seen.get(r.messageId) ?? 0;
    seen.set(r.messageId, k + 1);
    (rounds[k] ??= []).push(r);
  }
  let updated = 0;
  for (const round of rounds) {
    const column = <T>(pick: (r: DeliveryReceipt) => T) => round.map(pick);
    const result = await sql`
      UPDATE campaign_attempts a
         SET provider_status = coalesce(a.provider_status, CASE WHEN r.status = 'failed' THEN 'failed' ELSE 'sent' END),
             provider_at = coalesce(a.provider_at, r.at),
             platform_message_id = coalesce(r.platform_message_id, a.platform_message_id),
             final_status = CASE WHEN r.status = 'sent' THEN a.final_status ELSE r.status END,
             final_at = CASE WHEN r.status = 'sent' THEN a.final_at ELSE r.at END,
             status = CASE WHEN r.status = 'read' THEN 'delivered' ELSE r.status END,
             reason = CASE WHEN r.status = 'failed' THEN coalesce(r.reason, 'failed') END
        FROM unnest(${column((r) => r.messageId)}::uuid[], ${column((r) => r.tenant)}::text[], ${column((r) => r.status)}::text[],
                    ${column((r) => r.timestamp)}::timestamptz[], ${column((r) => r.platformMessageId ?? null)}::text[], ${column((r) => r.reason ?? null)}::text[])
             AS r(message_id, tenant, status, at, platform_message_id, reason)
       WHERE a.message_id = r.message_id AND a.tenant = r.tenant AND a.status = ANY(${movableSql})`.execute(db);
    updated += Number(result.numAffectedRows ?? 0n);
  }
  return updated;
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
  // Counters kept as attempts and contacts change (src/campaigns/attempt-counts.ts): a few rows, however long the list.
  const [counts, total] = await Promise.all([readAttemptCounts(db, tenant, campaign), readListSize(db, tenant, listId)]);
  const progress: CampaignProgress = { total, processed: 0, sent: 0, delivered: 0, failed: 0, skipped: 0, skippedByReason: {}, waiting: 0, replied: 0 };
  for (const row of counts) {
    const n = row.attempts;
    progress.replied += row.replied;
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
