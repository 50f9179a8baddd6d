import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { campaignDb, campaignProgress, readAttemptCounts, type CampaignState } from '../campaigns/index.ts';
import type { Database } from '../store/index.ts';

/** `GET /v1/reports/campaigns`: which campaigns, and JSON or CSV. */
export const CampaignReportQuery = z.strictObject({
  /** Only these campaigns (comma-separated). */
  keys: z
    .string()
    .max(2048)
    .transform((s) => s.split(',').filter((n) => n.length > 0))
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9_.-]{1,253}$/, 'a comma-separated list of names')).max(100))
    .optional(),
  /** @default "json" */
  format: z.enum(['json', 'csv']).default('json'),
});
export type CampaignReportQuery = z.infer<typeof CampaignReportQuery>;

export interface CampaignReportRow {
  campaign: string;
  state: CampaignState;
  channel: string;
  list: string;
  startedAt: string | null;
  endedAt: string | null;
  /** Contacts on the campaign's list now. */
  contacts: number;
  /** Contacts the campaign reached in its sweep (any outcome, waiting included). */
  attempted: number;
  /** Messages handed to the channel: published, accepted by the provider or delivered. */
  sent: number;
  delivered: number;
  failed: number;
  skipped: number;
  /** Skipped contacts per reason (opted-out, do-not-contact, …). */
  skippedByReason: Record<string, number>;
  /** Contacts waiting for their sending window. */
  waiting: number;
  /** Recipients who opted out after the campaign's message to them was sent. */
  optOuts: number;
  /** Recipients who wrote back on the campaign's channel within its reply window after its message. */
  replies: number;
  /** replies / sent × 100. */
  replyRate: number | null;
}

/** The reply window of a campaign without `spec.replies` (the resource's default window). */
export const DEFAULT_REPLY_WINDOW_MS = 72 * 3_600_000;

/** The statuses of an attempt whose message was handed to the channel. */
const SENT_STATUSES: ReadonlySet<string> = new Set(['published', 'sent', 'delivered']);

/**
 * Sent attempts whose recipient first wrote back only after the reply window: the counters
 * hold every first reply after the message, and the window comes from the configuration,
 * so these are taken off. Reads only the late replies, through the partial index
 * `campaign_attempts_reply_delay` (migration 2026-12-07T0501), whose expression this repeats.
 */
async function lateReplies(db: Kysely<Database>, tenant: string, campaign: string, replyWindowMs: number): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    SELECT count(*) AS n FROM campaign_attempts
    WHERE tenant = ${tenant} AND campaign = ${campaign} AND first_reply_at IS NOT NULL
      AND (first_reply_at - coalesce(published_at, attempted_at)) >= make_interval(secs => ${replyWindowMs / 1000})
      AND status IN ('published', 'sent', 'delivered')`.execute(db);
  return Number(rows[0]!.n);
}

/**
 * Campaign results, one row per campaign: its attempts per status, its recipients' opt-outs
 * and first replies, and its list's size from counters kept as attempts, the consent ledger,
 * inbound messages and contacts change (src/campaigns/attempt-counts.ts); the replies that
 * came after the reply window are taken off (`lateReplies`).
 */
export async function campaignReport(
  db: Kysely<Database>,
  tenant: string,
  q: CampaignReportQuery,
  replyWindowOf: (campaign: string) => number | undefined = () => undefined,
): Promise<CampaignReportRow[]> {
  let runs = campaignDb(db).selectFrom('campaign_runs').select(['name', 'state', 'channel', 'list_id', 'snapshot']).where('tenant', '=', tenant);
  if (q.keys?.length) runs = runs.where('name', 'in', q.keys);
  const found = await runs.orderBy('name').execute();
  return Promise.all(
    found.map(async (run) => {
      const [progress, counts, late] = await Promise.all([
        campaignProgress(campaignDb(db), tenant, run.name, run.list_id),
        readAttemptCounts(db, tenant, run.name),
        lateReplies(db, tenant, run.name, replyWindowOf(run.name) ?? DEFAULT_REPLY_WINDOW_MS),
      ]);
      const sent = counts.filter((c) => SENT_STATUSES.has(c.status));
      const replied = { optOuts: sent.reduce((n, c) => n + c.optedOut, 0), replies: sent.reduce((n, c) => n + c.answered, 0) - late };
      const attempted = counts.reduce((n, c) => n + c.attempts, 0);
      const context = (run.snapshot as { context?: { startedAt?: string | null; endedAt?: string | null } }).context;
      return {
        campaign: run.name,
        state: run.state,
        channel: run.channel,
        list: run.list_id,
        startedAt: context?.startedAt ?? null,
        endedAt: context?.endedAt ?? null,
        contacts: progress.total,
        attempted,
        sent: progress.sent,
        delivered: progress.delivered,
        failed: progress.failed,
        skipped: progress.skipped,
        skippedByReason: progress.skippedByReason,
        waiting: progress.waiting,
        ...replied,
        replyRate: progress.sent === 0 ? null : Math.round((replied.replies / progress.sent) * 10_000) / 100,
      };
    }),
  );
}

/** The CSV form of a row: the reasons in one `reason=count;…` cell. */
export function campaignCsvRow(row: CampaignReportRow): Record<string, unknown> {
  return {
    ...row,
    skippedByReason: Object.entries(row.skippedByReason)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([reason, n]) => `${reason}=${n}`)
      .join(';'),
  };
}
