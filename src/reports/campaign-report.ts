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

interface RunRow {
  name: string;
  state: CampaignState;
  channel: string;
  list_id: string;
  snapshot: unknown;
}

/** Opt-outs and replies of the recipients a campaign sent to, counted from the consent and message rows. */
async function responses(db: Kysely<Database>, tenant: string, run: RunRow, replyWindowMs: number): Promise<{ optOuts: number; replies: number }> {
  const { rows } = await sql<{ opt_outs: string; replies: string }>`
    WITH sent AS MATERIALIZED (
      SELECT address, coalesce(published_at, attempted_at) AS at
      FROM campaign_attempts
      WHERE tenant = ${tenant} AND campaign = ${run.name} AND status IN ('published', 'sent', 'delivered') AND address IS NOT NULL
    )
    SELECT
      (SELECT count(*) FROM sent s WHERE EXISTS (
         SELECT 1 FROM consent_events e
         WHERE e.tenant = ${tenant} AND e.address = s.address AND e.state = 'opted-out' AND e.occurred_at >= s.at)) AS opt_outs,
      (SELECT count(*) FROM sent s WHERE EXISTS (
         SELECT 1 FROM identities i JOIN messages m ON m.customer_id = i.customer_id
         WHERE i.tenant = ${tenant} AND i.kind IN ('phone', 'email') AND i.channel = ${run.channel} AND i.value = s.address
           AND m.channel = ${run.channel} AND m.direction = 'inbound'
           AND m.sent_at >= s.at AND m.sent_at < s.at + make_interval(secs => ${replyWindowMs / 1000}))) AS replies`.execute(db);
  return { optOuts: Number(rows[0]!.opt_outs), replies: Number(rows[0]!.replies) };
}

/**
 * Campaign results, one row per campaign: its attempts per status and its list's size from
 * counters kept as attempts and contacts change (src/campaigns/attempt-counts.ts); its
 * opt-outs and replies still from a join over its sent attempts (`responses`).
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
      const [progress, replied, attempted] = await Promise.all([
        campaignProgress(campaignDb(db), tenant, run.name, run.list_id),
        responses(db, tenant, run, replyWindowOf(run.name) ?? DEFAULT_REPLY_WINDOW_MS),
        readAttemptCounts(db, tenant, run.name).then((counts) => counts.reduce((n, c) => n + c.attempts, 0)),
      ]);
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
