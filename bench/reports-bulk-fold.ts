import { sql, type Kysely } from 'kysely';
import { WAIT_BUCKETS_SECONDS } from '../src/reports/index.ts';
import type { Database } from '../src/store/index.ts';

/**
 * The folder's arithmetic (src/reports/fold-events.ts) as one set-based statement per
 * range of fact ids: how the benchmark folds millions of generated facts in minutes
 * rather than the live folder's batches. Same dimensions, same rules per kind; the queue
 * skills are the benchmark's (`lang{queue number % 4}`). The benchmark checks its totals
 * against the raw rows.
 */
const within = sql.raw(WAIT_BUCKETS_SECONDS.map((b) => `count(*) FILTER (WHERE kind = 'answered' AND d.dim <> 'wrapUp' AND s <= ${b})::int`).join(', '));
const addWithin = sql.raw(WAIT_BUCKETS_SECONDS.map((_, i) => `report_intervals.answered_within[${i + 1}] + excluded.answered_within[${i + 1}]`).join(', '));
const add = (column: string) => sql.raw(`${column} = report_intervals.${column} + excluded.${column}`);

export async function bulkFold(db: Kysely<Database>, idsPerStatement = 1_000_000): Promise<void> {
  const { rows } = await sql<{ lo: string | null; hi: string | null }>`SELECT min(id) AS lo, max(id) AS hi FROM report_events`.execute(db);
  if (rows[0]?.lo == null) return;
  for (let lo = Number(rows[0].lo); lo <= Number(rows[0].hi); lo += idsPerStatement) {
    await sql`
      WITH moved AS (DELETE FROM report_events WHERE id >= ${lo} AND id < ${lo + idsPerStatement} RETURNING *)
      INSERT INTO report_intervals (tenant, dimension, key, interval_start, offered, answered, abandoned, flowed_out, transferred, answer_wait_sum, abandon_wait_sum,
                                    answered_within, handled, handle_sum, offers, offers_rejected, offers_timed_out, after_work, after_work_sum)
      SELECT f.tenant, d.dim, d.key, date_bin('15 minutes', f.at, timestamptz '2000-01-01T00:00:00Z'),
        count(*) FILTER (WHERE kind = 'offered' AND d.dim IN ('queue', 'skill'))::int,
        count(*) FILTER (WHERE kind = 'answered' AND d.dim <> 'wrapUp')::int,
        count(*) FILTER (WHERE kind = 'abandoned' AND d.dim IN ('queue', 'skill'))::int,
        count(*) FILTER (WHERE kind = 'flowedOut' AND d.dim = 'queue')::int,
        count(*) FILTER (WHERE kind = 'transferred' AND d.dim IN ('queue', 'agent'))::int,
        coalesce(sum(s) FILTER (WHERE kind = 'answered' AND d.dim <> 'wrapUp'), 0),
        coalesce(sum(s) FILTER (WHERE kind = 'abandoned' AND d.dim IN ('queue', 'skill')), 0),
        ARRAY[${within}],
        count(*) FILTER (WHERE (kind = 'handled' AND d.dim <> 'wrapUp') OR (kind IN ('handled', 'wrappedUp') AND d.dim = 'wrapUp'))::int,
        coalesce(sum(s) FILTER (WHERE (kind = 'handled' AND d.dim <> 'wrapUp') OR (kind IN ('handled', 'wrappedUp') AND d.dim = 'wrapUp')), 0),
        count(*) FILTER (WHERE kind = 'offer' AND d.dim = 'agent')::int,
        count(*) FILTER (WHERE kind = 'offerRejected' AND d.dim = 'agent')::int,
        count(*) FILTER (WHERE kind = 'offerTimedOut' AND d.dim = 'agent')::int,
        count(*) FILTER (WHERE kind = 'afterWork')::int,
        coalesce(sum(s) FILTER (WHERE kind = 'afterWork'), 0)
      FROM moved f
        CROSS JOIN LATERAL (SELECT greatest(0, coalesce(f.seconds, 0)) AS s) AS secs
        CROSS JOIN LATERAL (
          SELECT 'queue' AS dim, f.queue AS key WHERE f.queue IS NOT NULL
          UNION ALL SELECT 'agent', f.agent_id WHERE f.agent_id IS NOT NULL
          UNION ALL SELECT 'wrapUp', f.wrap_up_code WHERE f.wrap_up_code IS NOT NULL AND f.kind IN ('handled', 'wrappedUp', 'afterWork')
          UNION ALL SELECT DISTINCT 'skill', skill
            FROM unnest(coalesce(f.skills, '{}') || CASE WHEN f.queue LIKE 'queue%' THEN ARRAY['lang' || (substr(f.queue, 6)::int % 4)] ELSE '{}'::text[] END) AS skill
            WHERE f.kind IN ('offered', 'answered', 'abandoned', 'handled', 'afterWork')
        ) AS d
      GROUP BY 1, 2, 3, 4
      ON CONFLICT (tenant, dimension, key, interval_start) DO UPDATE SET
        ${add('offered')}, ${add('answered')}, ${add('abandoned')}, ${add('flowed_out')}, ${add('transferred')}, ${add('answer_wait_sum')}, ${add('abandon_wait_sum')},
        answered_within = ARRAY[${addWithin}],
        ${add('handled')}, ${add('handle_sum')}, ${add('offers')}, ${add('offers_rejected')}, ${add('offers_timed_out')}, ${add('after_work')}, ${add('after_work_sum')}`.execute(db);
  }
}
