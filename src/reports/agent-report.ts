import type { Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import { handleTimes, type HandleTimes } from './handle-times.ts';
import { readEvaluationScores } from './read-evaluation-scores.ts';
import { localTime, readIntervals } from './read-intervals.ts';
import type { ReportQuery } from './report-query.ts';

export interface AgentReportRow extends HandleTimes {
  interval: string;
  intervalLocal: string;
  agent: string;
  /** Offers made to the agent, and how many were rejected or let time out. */
  offers: number;
  offersRejected: number;
  offersTimedOut: number;
  /** Conversations the agent connected to first from a queue. */
  answered: number;
  handled: number;
  /** Conversations the agent sent back to a queue. */
  transferred: number;
  /** Quality evaluations of the agent's work made in the period, and their mean score (percent). */
  evaluations: number;
  averageScore: number | null;
}

const round2 = (n: number) => Math.round(n * 100) / 100;
// The order of String#localeCompare, without its per-call lookup of a collator: a month of agents is 15,000 rows.
const compare = new Intl.Collator().compare;

/** Agent performance per period, with the quality scores evaluators gave in it. */
export async function agentReport(db: Kysely<Database>, tenant: string, q: ReportQuery): Promise<AgentReportRow[]> {
  const [intervals, scores] = await Promise.all([readIntervals(db, tenant, 'agent', q, { answeredWithin: false }), readEvaluationScores(db, tenant, q)]);
  const local = localTime(q);
  const rows = new Map<string, AgentReportRow>();
  const key = (agent: string, start: Date) => `${start.getTime()}|${agent}`;
  for (const r of intervals) {
    rows.set(key(r.key, r.start), {
      interval: r.start.toISOString(),
      intervalLocal: r.localStart,
      agent: r.key,
      offers: r.offers,
      offersRejected: r.offersRejected,
      offersTimedOut: r.offersTimedOut,
      answered: r.answered,
      handled: r.handled,
      ...handleTimes(r),
      transferred: r.transferred,
      evaluations: 0,
      averageScore: null,
    });
  }
  for (const s of scores) {
    const k = key(s.agent, s.start);
    const row =
      rows.get(k) ??
      ({
        interval: s.start.toISOString(),
        intervalLocal: local(s.start),
        agent: s.agent,
        offers: 0,
        offersRejected: 0,
        offersTimedOut: 0,
        answered: 0,
        handled: 0,
        averageTalkSeconds: null,
        averageAfterWorkSeconds: null,
        averageHandleSeconds: null,
        transferred: 0,
        evaluations: 0,
        averageScore: null,
      } satisfies AgentReportRow);
    row.evaluations = s.evaluations;
    row.averageScore = round2(s.scoreSum / s.evaluations);
    rows.set(k, row);
  }
  return [...rows.values()].sort((a, b) => compare(a.interval, b.interval) || compare(a.agent, b.agent));
}
