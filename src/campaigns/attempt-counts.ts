import { sql, type RawBuilder } from 'kysely';

/** Any Kysely instance or transaction: these statements name only their own tables. */
type Db = Parameters<RawBuilder<unknown>['execute']>[0];

/** Attempts of one campaign in one status and reason, and how their recipients responded. */
export interface AttemptCount {
  status: string;
  reason: string | null;
  attempts: number;
  /** Replies the router tied to the campaign (`replied_at`: campaigns with `spec.replies`). */
  replied: number;
  /** Recipients who opted out (any method) at or after the message (`opted_out_at`). */
  optedOut: number;
  /** Recipients who wrote on the campaign's channel at or after the message, however late (`first_reply_at`). */
  answered: number;
}

/**
 * A campaign's attempts per status and reason, from the counters the triggers of
 * migration 2026-12-07T0102 keep: the folded counters plus the changes not folded yet,
 * in one statement (one snapshot), so the answer is exact whatever the folder's lag.
 * Opt-outs and replies are counted too (migration 2026-12-07T0501 records them on the attempts).
 */
export async function readAttemptCounts(db: Db, tenant: string, campaign: string): Promise<AttemptCount[]> {
  const { rows } = await sql<{ status: string; reason: string; attempts: string; replied: string; opted_out: string; answered: string }>`
    SELECT status, reason, sum(attempts) AS attempts, sum(replied) AS replied, sum(opted_out) AS opted_out, sum(answered) AS answered FROM (
      SELECT status, reason, attempts, replied, opted_out, answered FROM campaign_counts WHERE tenant = ${tenant} AND campaign = ${campaign}
      UNION ALL
      SELECT status, reason, attempts, replied, opted_out, answered FROM campaign_count_deltas WHERE tenant = ${tenant} AND campaign = ${campaign}
    ) AS c GROUP BY 1, 2 HAVING sum(attempts) <> 0 OR sum(replied) <> 0 OR sum(opted_out) <> 0 OR sum(answered) <> 0`.execute(db);
  return rows.map((r) => ({
    status: r.status,
    reason: r.reason === '' ? null : r.reason,
    attempts: Number(r.attempts),
    replied: Number(r.replied),
    optedOut: Number(r.opted_out),
    answered: Number(r.answered),
  }));
}

/** The contacts on a list now, from the counters kept like the attempts'. */
export async function readListSize(db: Db, tenant: string, listId: string): Promise<number> {
  const { rows } = await sql<{ n: string | null }>`
    SELECT sum(contacts) AS n FROM (
      SELECT contacts FROM contact_list_sizes WHERE tenant = ${tenant} AND list_id = ${listId}
      UNION ALL
      SELECT contacts FROM contact_list_size_deltas WHERE tenant = ${tenant} AND list_id = ${listId}
    ) AS c`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

/**
 * Adds up to `limit` pending changes of attempts and of list sizes into their counters,
 * deleting them in the same statement; changes another folder holds are skipped.
 * Returns how many were folded.
 */
export async function foldAttemptCounts(db: Db, limit = 5_000): Promise<number> {
  const { rows: sizes } = await sql<{ n: string }>`
    WITH moved AS (
      DELETE FROM contact_list_size_deltas
      WHERE id IN (SELECT id FROM contact_list_size_deltas ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING *
    ), added AS (
      INSERT INTO contact_list_sizes (tenant, list_id, contacts)
      SELECT tenant, list_id, sum(contacts) FROM moved GROUP BY 1, 2 ORDER BY 1, 2
      ON CONFLICT (tenant, list_id) DO UPDATE SET contacts = contact_list_sizes.contacts + excluded.contacts
    )
    SELECT count(*) AS n FROM moved`.execute(db);
  const { rows } = await sql<{ n: string }>`
    WITH moved AS (
      DELETE FROM campaign_count_deltas
      WHERE id IN (SELECT id FROM campaign_count_deltas ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING *
    ), added AS (
      INSERT INTO campaign_counts (tenant, campaign, status, reason, attempts, replied, opted_out, answered)
      SELECT tenant, campaign, status, reason, sum(attempts), sum(replied), sum(opted_out), sum(answered) FROM moved GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
      ON CONFLICT (tenant, campaign, status, reason) DO UPDATE
        SET attempts = campaign_counts.attempts + excluded.attempts, replied = campaign_counts.replied + excluded.replied,
            opted_out = campaign_counts.opted_out + excluded.opted_out, answered = campaign_counts.answered + excluded.answered
    )
    SELECT count(*) AS n FROM moved`.execute(db);
  return Number(rows[0]?.n ?? 0) + Number(sizes[0]?.n ?? 0);
}
