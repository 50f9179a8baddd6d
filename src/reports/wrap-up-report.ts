import type { Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import { readIntervals } from './read-intervals.ts';
import type { ReportQuery } from './report-query.ts';

export interface WrapUpReportRow {
  interval: string;
  intervalLocal: string;
  wrapUpCode: string;
  handled: number;
  averageHandleSeconds: number | null;
  /** Share of the period's wrapped-up conversations, in percent. */
  share: number;
}

/** How conversations were wrapped up, per period and code. */
export async function wrapUpReport(db: Kysely<Database>, tenant: string, q: ReportQuery): Promise<WrapUpReportRow[]> {
  const rows = await readIntervals(db, tenant, 'wrapUp', q);
  const perPeriod = new Map<number, number>();
  for (const r of rows) perPeriod.set(r.start.getTime(), (perPeriod.get(r.start.getTime()) ?? 0) + r.handled);
  return rows.map((r) => ({
    interval: r.start.toISOString(),
    intervalLocal: r.localStart,
    wrapUpCode: r.key,
    handled: r.handled,
    averageHandleSeconds: r.handled === 0 ? null : Math.round((r.handleSum / r.handled) * 100) / 100,
    share: Math.round((r.handled / (perPeriod.get(r.start.getTime()) || 1)) * 10_000) / 100,
  }));
}
