import type { Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import { readIntervals } from './read-intervals.ts';
import type { ReportQuery } from './report-query.ts';

export interface AgentReportRow {
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
  averageHandleSeconds: number | null;
  /** Conversations the agent sent back to a queue. */
  transferred: number;
}

/** Agent performance per period. */
export async function agentReport(db: Kysely<Database>, tenant: string, q: ReportQuery): Promise<AgentReportRow[]> {
  const rows = await readIntervals(db, tenant, 'agent', q);
  return rows.map((r) => ({
    interval: r.start.toISOString(),
    intervalLocal: r.localStart,
    agent: r.key,
    offers: r.offers,
    offersRejected: r.offersRejected,
    offersTimedOut: r.offersTimedOut,
    answered: r.answered,
    handled: r.handled,
    averageHandleSeconds: r.handled === 0 ? null : Math.round((r.handleSum / r.handled) * 100) / 100,
    transferred: r.transferred,
  }));
}
