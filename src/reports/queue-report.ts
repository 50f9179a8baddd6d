import type { Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import { handleTimes, ratio, type HandleTimes } from './handle-times.ts';
import { readIntervals } from './read-intervals.ts';
import type { ReportQuery } from './report-query.ts';
import { thresholdBoundOf } from './wait-buckets.ts';

/** A queue's service-level target (its Queue resource's `spec.serviceLevel`). */
export interface ServiceLevelTarget {
  percentage: number;
  withinMs: number;
}

/** The target of a queue whose configuration is unknown (deleted since): the Queue resource's default. */
export const DEFAULT_SERVICE_LEVEL: ServiceLevelTarget = { percentage: 80, withinMs: 60_000 };

export interface QueueReportRow extends HandleTimes {
  interval: string;
  intervalLocal: string;
  queue: string;
  /** Entered the queue (including transfers and overflow into it). */
  offered: number;
  /** First connected to an agent from this queue. */
  answered: number;
  /** Closed while waiting, before any agent answered. */
  abandoned: number;
  flowedOut: number;
  transferred: number;
  /** abandoned / offered × 100. */
  abandonRate: number | null;
  /** Mean wait in queue of the answered ones. */
  averageSpeedOfAnswerSeconds: number | null;
  handled: number;
  /** Answered within the threshold / (answered + abandoned) × 100. */
  serviceLevel: number | null;
  serviceLevelTarget: number;
  /** The threshold the service level is measured at (the largest wait bucket not above the target's). */
  serviceLevelSeconds: number;
}

/** Queue performance per period: offered, answered, abandoned, speed of answer, handle and after-work time, service level. */
export async function queueReport(
  db: Kysely<Database>,
  tenant: string,
  q: ReportQuery,
  targetOf: (queue: string) => ServiceLevelTarget | undefined = () => undefined,
): Promise<QueueReportRow[]> {
  const rows = await readIntervals(db, tenant, 'queue', q);
  return rows.map((r) => {
    const target = targetOf(r.key) ?? DEFAULT_SERVICE_LEVEL;
    const threshold = thresholdBoundOf(q.serviceLevelSeconds ?? target.withinMs / 1000);
    const within = threshold.index === -1 ? 0 : (r.answeredWithin[threshold.index] ?? 0);
    return {
      interval: r.start.toISOString(),
      intervalLocal: r.localStart,
      queue: r.key,
      offered: r.offered,
      answered: r.answered,
      abandoned: r.abandoned,
      flowedOut: r.flowedOut,
      transferred: r.transferred,
      abandonRate: ratio(r.abandoned, r.offered, 100),
      averageSpeedOfAnswerSeconds: ratio(r.answerWaitSum, r.answered),
      handled: r.handled,
      ...handleTimes(r),
      serviceLevel: ratio(within, r.answered + r.abandoned, 100),
      serviceLevelTarget: target.percentage,
      serviceLevelSeconds: threshold.bound,
    };
  });
}
