import type { Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import { handleTimes, ratio, type HandleTimes } from './handle-times.ts';
import { DEFAULT_SERVICE_LEVEL } from './queue-report.ts';
import { readIntervals } from './read-intervals.ts';
import type { ReportQuery } from './report-query.ts';
import { thresholdBoundOf } from './wait-buckets.ts';

export interface SkillReportRow extends HandleTimes {
  interval: string;
  intervalLocal: string;
  skill: string;
  /** Conversations requiring the skill that entered a queue. */
  offered: number;
  answered: number;
  abandoned: number;
  abandonRate: number | null;
  averageSpeedOfAnswerSeconds: number | null;
  handled: number;
  /** Answered within `serviceLevelSeconds` / (answered + abandoned) × 100. */
  serviceLevel: number | null;
  serviceLevelSeconds: number;
}

/**
 * Skills performance per period: a conversation counts for every skill it required (its
 * own and its queue's). A skill has no target of its own: the level is measured at
 * `serviceLevelSeconds`, by default the queues' default target (60 s).
 */
export async function skillsReport(db: Kysely<Database>, tenant: string, q: ReportQuery): Promise<SkillReportRow[]> {
  const rows = await readIntervals(db, tenant, 'skill', q);
  const threshold = thresholdBoundOf(q.serviceLevelSeconds ?? DEFAULT_SERVICE_LEVEL.withinMs / 1000);
  return rows.map((r) => ({
    interval: r.start.toISOString(),
    intervalLocal: r.localStart,
    skill: r.key,
    offered: r.offered,
    answered: r.answered,
    abandoned: r.abandoned,
    abandonRate: ratio(r.abandoned, r.offered, 100),
    averageSpeedOfAnswerSeconds: ratio(r.answerWaitSum, r.answered),
    handled: r.handled,
    ...handleTimes(r),
    serviceLevel: ratio(threshold.index === -1 ? 0 : (r.answeredWithin[threshold.index] ?? 0), r.answered + r.abandoned, 100),
    serviceLevelSeconds: threshold.bound,
  }));
}
