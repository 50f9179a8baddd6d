import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../store/index.ts';
import type { ReportIntervalTable } from '../store/index.ts';
import { readPlan, type Range } from './read-plan.ts';
import type { Granularity, ReportQuery } from './report-query.ts';
import { reportTimeZones, SUM_COLUMNS } from './roll-up.ts';
import { WAIT_BUCKETS_SECONDS } from './wait-buckets.ts';

/** The sums of one key over one period of the report's granularity. */
export interface IntervalTotals {
  key: string;
  /** Start of the period (an instant). */
  start: Date;
  /** The same start as a wall-clock time in the report's zone, `YYYY-MM-DD HH:MM`. */
  localStart: string;
  offered: number;
  answered: number;
  abandoned: number;
  flowedOut: number;
  transferred: number;
  answerWaitSum: number;
  abandonWaitSum: number;
  /** Answered within each of `WAIT_BUCKETS_SECONDS` (empty when not asked for). */
  answeredWithin: number[];
  handled: number;
  handleSum: number;
  offers: number;
  offersRejected: number;
  offersTimedOut: number;
  afterWork: number;
  afterWorkSum: number;
}

/** Element-wise sums of the rows' `answered_within` arrays: summed here rather than by 20 subscripts per row in SQL, several times cheaper. */
function sumWithin(arrays: readonly (readonly number[])[]): number[] {
  const sums = WAIT_BUCKETS_SECONDS.map(() => 0);
  for (const within of arrays) within.forEach((n, i) => (sums[i]! += n));
  return sums;
}

type RawTotals = Omit<IntervalTotals, 'localStart' | 'start' | 'answeredWithin'> & { start: Date | string; withinRows?: number[][] };

const rowColumns = sql.raw([...SUM_COLUMNS, 'answered_within'].join(', '));

const unitOf: Record<Exclude<Granularity, '15m' | 'total'>, string> = { hour: 'hour', day: 'day' };

/** The start of the report period holding `at` (a timestamptz expression), in the report's zone. */
export function periodStart(q: ReportQuery, at: RawBuilder<unknown>): RawBuilder<Date> {
  if (q.granularity === '15m') return sql<Date>`date_bin('15 minutes', ${at}, timestamptz '2000-01-01T00:00:00Z')`;
  if (q.granularity === 'total') return sql<Date>`${q.from}::timestamptz`;
  return sql<Date>`date_trunc(${unitOf[q.granularity]}, ${at} AT TIME ZONE ${q.timeZone}) AT TIME ZONE ${q.timeZone}`;
}

/** `YYYY-MM-DD HH:MM` in the report's zone. */
export function localTime(q: ReportQuery): (at: Date) => string {
  const format = new Intl.DateTimeFormat('sv-SE', { timeZone: q.timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return (at) => format.format(at);
}

export interface ReadOptions {
  /** Read the hour and day roll-ups where exact; false: the 15-minute rows only (tests and benchmark baselines). @default true */
  rollUps?: boolean;
  /** Add up `answeredWithin` (service levels); false leaves it empty, for reports without one. @default true */
  answeredWithin?: boolean;
}

const tableOf = { days: 'report_days', hours: 'report_hours', quarters: 'report_intervals' } as const;

/** The rows of one kind the plan reads: one indexed range scan per range. */
function piece(tier: keyof typeof tableOf, ranges: readonly Range[], tenant: string, dimension: string, q: ReportQuery, zone: string | undefined): RawBuilder<unknown> {
  const within = sql.join(
    ranges.map((r) => sql`(interval_start >= ${r.from} AND interval_start < ${r.to})`),
    sql` OR `,
  );
  const keys = q.keys?.length ? sql` AND key IN (${sql.join(q.keys)})` : sql``;
  const inZone = zone === undefined ? sql`` : sql` AND time_zone = ${zone}`;
  return sql`SELECT key, interval_start, ${rowColumns} FROM ${sql.table(tableOf[tier])} WHERE tenant = ${tenant} AND dimension = ${dimension}${inZone} AND (${within})${keys}`;
}

/**
 * Adds up the aggregates of one dimension over the report's periods, per key. It reads the
 * coarsest rows that are exact for the question (`readPlan`): day rows over the whole
 * days of a report by day in a zone that has them, UTC hour rows where hours fall within
 * one period, 15-minute rows at the edges. A month of 500 agents by day is 15,000 day
 * rows, not the million 15-minute ones.
 */
export async function readIntervals(
  db: Kysely<Database>,
  tenant: string,
  dimension: ReportIntervalTable['dimension'],
  q: ReportQuery,
  options: ReadOptions = {},
): Promise<IntervalTotals[]> {
  const plan =
    options.rollUps === false
      ? { dayZone: undefined, days: [], hours: [], quarters: [{ from: q.from, to: q.to }] }
      : readPlan(q, q.granularity === 'day' || q.granularity === 'total' ? await reportTimeZones(db) : new Set());
  const pieces = [
    plan.days.length ? piece('days', plan.days, tenant, dimension, q, plan.dayZone) : undefined,
    plan.hours.length ? piece('hours', plan.hours, tenant, dimension, q, undefined) : undefined,
    plan.quarters.length ? piece('quarters', plan.quarters, tenant, dimension, q, undefined) : undefined,
  ].filter((p) => p !== undefined);
  const start = periodStart(q, sql.ref('interval_start'));
  const { rows } = await sql<RawTotals>`
    SELECT key, ${start} AS start,
      sum(offered)::int AS "offered", sum(answered)::int AS "answered", sum(abandoned)::int AS "abandoned",
      sum(flowed_out)::int AS "flowedOut", sum(transferred)::int AS "transferred",
      sum(answer_wait_sum) AS "answerWaitSum", sum(abandon_wait_sum) AS "abandonWaitSum",${options.answeredWithin === false ? sql`` : sql` array_agg(answered_within) AS "withinRows",`}
      sum(handled)::int AS "handled", sum(handle_sum) AS "handleSum",
      sum(offers)::int AS "offers", sum(offers_rejected)::int AS "offersRejected", sum(offers_timed_out)::int AS "offersTimedOut",
      sum(after_work)::int AS "afterWork", sum(after_work_sum) AS "afterWorkSum"
    FROM (${sql.join(pieces, sql` UNION ALL `)}) AS r
    GROUP BY key, 2 ORDER BY 2, key`.execute(db);
  const local = localTime(q);
  return rows.map(({ withinRows, ...r }) => ({
    ...r,
    answeredWithin: withinRows ? sumWithin(withinRows) : [],
    start: new Date(r.start),
    localStart: local(new Date(r.start)),
    answerWaitSum: Number(r.answerWaitSum),
    abandonWaitSum: Number(r.abandonWaitSum),
    handleSum: Number(r.handleSum),
    afterWorkSum: Number(r.afterWorkSum),
  }));
}
