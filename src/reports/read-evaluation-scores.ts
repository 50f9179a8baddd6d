import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import { periodStart } from './read-intervals.ts';
import type { ReportQuery } from './report-query.ts';

export interface EvaluationTotals {
  agent: string;
  start: Date;
  evaluations: number;
  scoreSum: number;
}

/** Quality scores per agent and report period (by the evaluation's time): few rows, read directly. */
export async function readEvaluationScores(db: Kysely<Database>, tenant: string, q: ReportQuery): Promise<EvaluationTotals[]> {
  let query = db
    .selectFrom('evaluations')
    .select(['agent_id', periodStart(q, sql.ref('created_at')).as('start'), sql<number>`count(*)::int`.as('evaluations'), sql<number>`sum(score)`.as('scoreSum')])
    .where('tenant', '=', tenant)
    .where('created_at', '>=', q.from)
    .where('created_at', '<', q.to);
  if (q.keys?.length) query = query.where('agent_id', 'in', q.keys);
  const rows = await query.groupBy(['agent_id', sql`2`]).execute();
  return rows.map((r) => ({ agent: r.agent_id, start: new Date(r.start), evaluations: r.evaluations, scoreSum: Number(r.scoreSum) }));
}
