import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../store/index.ts';
import { WAIT_BUCKETS_SECONDS } from './wait-buckets.ts';

/** The additive columns of every report row table (15-minute, hour and day rows). */
export const SUM_COLUMNS = [
  'offered',
  'answered',
  'abandoned',
  'flowed_out',
  'transferred',
  'answer_wait_sum',
  'abandon_wait_sum',
  'handled',
  'handle_sum',
  'offers',
  'offers_rejected',
  'offers_timed_out',
  'after_work',
  'after_work_sum',
] as const;

const columns = sql.raw([...SUM_COLUMNS, 'answered_within'].join(', '));
const sums = sql.raw([...SUM_COLUMNS.map((c) => `sum(${c})`), `ARRAY[${WAIT_BUCKETS_SECONDS.map((_, i) => `sum(answered_within[${i + 1}])::int`).join(', ')}]`].join(', '));
const addTo = (table: string) =>
  sql.raw(
    [
      ...SUM_COLUMNS.map((c) => `${c} = ${table}.${c} + excluded.${c}`),
      `answered_within = ARRAY[${WAIT_BUCKETS_SECONDS.map((_, i) => `${table}.answered_within[${i + 1}] + excluded.answered_within[${i + 1}]`).join(', ')}]`,
    ].join(', '),
  );
const recordType = sql.raw(
  ['tenant text', 'dimension text', 'key text', 'interval_start timestamptz', ...SUM_COLUMNS.map((c) => `${c} ${c.endsWith('_sum') ? 'double precision' : 'integer'}`), 'answered_within integer[]'].join(', '),
);

/** The local day holding `at` in `zone` (a column), as PostgreSQL's calendar says: the one key of day rows. */
const dayOf = (at: RawBuilder<unknown>, zone: RawBuilder<unknown>) => sql`date_trunc('day', ${at} AT TIME ZONE ${zone}) AT TIME ZONE ${zone}`;

/**
 * Adds 15-minute sums to the hour rows and to the day rows of every report time zone, in
 * the caller's transaction (the one writing the same sums to the 15-minute rows). Rows are
 * written in key order, like the 15-minute ones, so two folders never deadlock.
 *
 * `report_time_zones` is locked in SHARE mode first: `addReportTimeZones` inserts into it
 * (ROW EXCLUSIVE), so a zone is never added between a fold's 15-minute rows and its day
 * rows — the zone's backfill sees every fold committed before it, and every later fold
 * sees the zone.
 */
export async function rollUp(tx: Transaction<Database>, rows: readonly object[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`LOCK TABLE report_time_zones IN SHARE MODE`.execute(tx);
  const delta = sql`jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(${recordType})`;
  await sql`
    INSERT INTO report_hours (tenant, dimension, key, interval_start, ${columns})
    SELECT tenant, dimension, key, date_bin('1 hour', interval_start, timestamptz '2000-01-01T00:00:00Z'), ${sums}
    FROM ${delta} GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (tenant, dimension, key, interval_start) DO UPDATE SET ${addTo('report_hours')}`.execute(tx);
  await sql`
    INSERT INTO report_days (tenant, dimension, key, time_zone, interval_start, ${columns})
    SELECT r.tenant, r.dimension, r.key, z.time_zone, ${dayOf(sql.ref('r.interval_start'), sql.ref('z.time_zone'))}, ${sums}
    FROM ${delta} CROSS JOIN report_time_zones z GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 4, 3, 5
    ON CONFLICT (tenant, dimension, time_zone, key, interval_start) DO UPDATE SET ${addTo('report_days')}`.execute(tx);
}

/**
 * Gives these zones day rows: each zone not there yet is added and its day rows filled
 * from the 15-minute rows, in one transaction (see `rollUp` for why no fold is lost in
 * between). Returns the zones added. Adding a zone to a large history takes a while: a
 * process does it once, at start (PARLEY_REPORT_TIME_ZONES).
 */
export async function addReportTimeZones(db: Kysely<Database>, zones: readonly string[]): Promise<string[]> {
  const added: string[] = [];
  for (const zone of new Set(zones)) {
    const done = await db.transaction().execute(async (tx) => {
      const inserted = await tx.insertInto('report_time_zones').values({ time_zone: zone }).onConflict((oc) => oc.doNothing()).returning('time_zone').execute();
      if (inserted.length === 0) return false;
      await sql`
        INSERT INTO report_days (tenant, dimension, key, time_zone, interval_start, ${columns})
        SELECT tenant, dimension, key, ${zone}, ${dayOf(sql.ref('interval_start'), sql`${zone}::text`)}, ${sums}
        FROM report_intervals GROUP BY 1, 2, 3, 4, 5`.execute(tx);
      return true;
    });
    if (done) added.push(zone);
  }
  return added;
}

/** The zones that have day rows. */
export async function reportTimeZones(db: Kysely<Database>): Promise<Set<string>> {
  return new Set((await db.selectFrom('report_time_zones').select('time_zone').execute()).map((r) => r.time_zone));
}

/**
 * Rebuilds the hour and day rows of every zone from the 15-minute rows: for a history
 * whose 15-minute rows were written in bulk, not by the folder (the benchmark's).
 */
export async function rebuildRollUps(db: Kysely<Database>): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await sql`LOCK TABLE report_time_zones IN EXCLUSIVE MODE`.execute(tx);
    await sql`TRUNCATE report_hours, report_days`.execute(tx);
    await sql`
      INSERT INTO report_hours (tenant, dimension, key, interval_start, ${columns})
      SELECT tenant, dimension, key, date_bin('1 hour', interval_start, timestamptz '2000-01-01T00:00:00Z'), ${sums}
      FROM report_intervals GROUP BY 1, 2, 3, 4`.execute(tx);
    await sql`
      INSERT INTO report_days (tenant, dimension, key, time_zone, interval_start, ${columns})
      SELECT i.tenant, i.dimension, i.key, z.time_zone, ${dayOf(sql.ref('i.interval_start'), sql.ref('z.time_zone'))}, ${sums}
      FROM report_intervals i CROSS JOIN report_time_zones z GROUP BY 1, 2, 3, 4, 5`.execute(tx);
  });
}
