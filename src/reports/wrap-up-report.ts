import type { Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import { handleTimes, type HandleTimes } from './handle-times.ts';
import { readIntervals } from './read-intervals.ts';
import type { ReportQuery } from './report-query.ts';

export interface WrapUpReportRow extends HandleTimes {
  interval: string;
  intervalLocal: string;
  wrapUpCode: string;
  handled: number;
  /** Share of the period's wrapped-up conversations, in percent. */
  share: number;
}

/** How conversations were wrapped up, per period and code. */
export async function wrapUpReport(db: Kysely<Database>, tenant: string, q: ReportQuery): Promise<WrapUpReportRow[]> {
  const rows = await readIntervals(db, tenant, 'wrapUp', q, { answeredWithin: false });
  const perPeriod = new Map<number, number>();
  for (const r of rows) perPeriod.set(r.start.getTime(), (perPeriod.get(r.start.getTime()) ?? 0) + r.handled);
  return rows.map((r) => ({
    interval: r.start.toISOString(),
    intervalLocal: r.localStart,
    wrapUpCode: r.key,
    handled: r.handled,
    ...handleTimes(r),
    share: Math.round((r.handled / (perPeriod.get(r.start.getTime()) || 1)) * 10_000) / 100,
  }));
}
