import { beforeAll, describe, expect, it } from 'vitest';
import { agentReport, foldReportEvents, queueReport, ReportQuery, wrapUpReport } from '../../src/reports/index.ts';
import { useMigratedStore } from '../support/migrated-store.ts';
import { expectedQueueRows, planHistory, writeHistory, type PlannedConversation } from '../support/report-history.ts';

const from = new Date('2026-11-30T00:00:00Z');
const to = new Date('2026-12-03T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const ctx = useMigratedStore();
let plan: PlannedConversation[];
let otherPlan: PlannedConversation[];

const query = (q: Record<string, string>) => ReportQuery.parse({ from: from.toISOString(), to: to.toISOString(), ...q });

/** Folds everything, with several folders at once in small batches: no fact may count twice or be lost. */
async function foldAll(): Promise<void> {
  for (;;) {
    const batches = await Promise.all([1, 2, 3].map(() => foldReportEvents(ctx.store.db, 97)));
    if (batches.every((b) => b.length === 0)) return;
  }
}

beforeAll(async () => {
  plan = planHistory({
    seed: 7,
    conversations: 200,
    from,
    hours: 48,
    queues: ['sales', 'support', 'billing'],
    agents: ['ana', 'bo', 'chen', 'dev', 'eli'],
    wrapUpCodes: ['resolved', 'followUp', 'spam'],
  });
  await writeHistory(ctx.store.db, 'acme', plan);
  // Another tenant's history must not show up in acme's reports.
  otherPlan = planHistory({ seed: 8, conversations: 30, from, hours: 48, queues: ['sales'], agents: ['ana'], wrapUpCodes: ['resolved'] });
  await writeHistory(ctx.store.db, 'globex', otherPlan);
  await foldAll();
}, 120_000);

describe('reports from interval aggregates', () => {
  it('gives, per queue and hour, the counts computed from the raw history', async () => {
    const rows = await queueReport(ctx.store.db, 'acme', query({ granularity: 'hour', serviceLevelSeconds: '30' }));
    const expected = expectedQueueRows(plan, (at) => Math.floor(at.getTime() / HOUR) * HOUR, 30);
    expect(rows.length).toBe(expected.size);
    for (const row of rows) {
      const e = expected.get(`${row.queue}|${Date.parse(row.interval)}`);
      expect(e, `${row.queue} ${row.interval}`).toBeDefined();
      expect({ offered: row.offered, answered: row.answered, abandoned: row.abandoned, transferred: row.transferred, handled: row.handled }).toEqual({
        offered: e!.offered,
        answered: e!.answered,
        abandoned: e!.abandoned,
        transferred: e!.transferred,
        handled: e!.handled,
      });
      const asa = e!.answered ? Math.round((e!.answerWaitSum / e!.answered) * 100) / 100 : null;
      expect(row.averageSpeedOfAnswerSeconds).toBe(asa);
      const sl = e!.answered + e!.abandoned ? Math.round((e!.answeredWithin / (e!.answered + e!.abandoned)) * 10_000) / 100 : null;
      expect(row.serviceLevel).toBe(sl);
      expect(row.serviceLevelSeconds).toBe(30);
    }
  });

  it('starts days at midnight in the asked time zone', async () => {
    const paris = (at: Date) => Math.floor((at.getTime() + HOUR) / DAY) * DAY - HOUR; // UTC+1 in winter
    const rows = await queueReport(ctx.store.db, 'acme', query({ granularity: 'day', timeZone: 'Europe/Paris' }));
    const expected = expectedQueueRows(plan, paris, 60);
    expect(rows.length).toBe(expected.size);
    for (const row of rows) {
      expect(row.intervalLocal.endsWith('00:00')).toBe(true);
      expect(row.offered).toBe(expected.get(`${row.queue}|${Date.parse(row.interval)}`)?.offered);
    }
  });

  it('adds up to the totals of the whole period, for queues, agents and wrap-up codes', async () => {
    const queues = await queueReport(ctx.store.db, 'acme', query({ granularity: 'total' }));
    const entries = plan.length + plan.filter((c) => c.transfer).length;
    expect(queues.reduce((n, r) => n + r.offered, 0)).toBe(entries);
    expect(queues.reduce((n, r) => n + r.abandoned, 0)).toBe(plan.filter((c) => c.outcome === 'abandoned').length);

    const agents = await agentReport(ctx.store.db, 'acme', query({ granularity: 'total' }));
    const handledBy = new Map<string, number>();
    const rejectedBy = new Map<string, number>();
    for (const c of plan) {
      if (c.agent) handledBy.set(c.agent, (handledBy.get(c.agent) ?? 0) + 1);
      if (c.transfer) handledBy.set(c.transfer.agent, (handledBy.get(c.transfer.agent) ?? 0) + 1);
      if (c.rejectedBy) rejectedBy.set(c.rejectedBy, (rejectedBy.get(c.rejectedBy) ?? 0) + 1);
    }
    expect(Object.fromEntries(agents.map((r) => [r.agent, r.handled]))).toEqual(Object.fromEntries(handledBy));
    expect(Object.fromEntries(agents.filter((r) => r.offersRejected > 0).map((r) => [r.agent, r.offersRejected]))).toEqual(Object.fromEntries(rejectedBy));

    const codes = await wrapUpReport(ctx.store.db, 'acme', query({ granularity: 'total' }));
    const byCode = new Map<string, number>();
    for (const c of plan) {
      const code = c.transfer?.wrapUpCode ?? c.wrapUpCode;
      if (code) byCode.set(code, (byCode.get(code) ?? 0) + 1);
    }
    expect(Object.fromEntries(codes.map((r) => [r.wrapUpCode, r.handled]))).toEqual(Object.fromEntries(byCode));
    expect(codes.reduce((n, r) => n + r.share, 0)).toBeCloseTo(100, 1);
  });

  it('reads only the asked tenant and keys', async () => {
    const rows = await queueReport(ctx.store.db, 'globex', query({ granularity: 'total' }));
    expect(rows.map((r) => r.offered).reduce((a, b) => a + b, 0)).toBe(otherPlan.length + otherPlan.filter((c) => c.transfer).length);
    const sales = await queueReport(ctx.store.db, 'acme', query({ granularity: 'total', keys: 'sales' }));
    expect(sales.map((r) => r.queue)).toEqual(['sales']);
  });

  it('refuses periods off the 15-minute grid, backwards or in an unknown zone', () => {
    expect(ReportQuery.safeParse({ from: '2026-11-30T00:05:00Z', to: to.toISOString() }).success).toBe(false);
    expect(ReportQuery.safeParse({ from: to.toISOString(), to: from.toISOString() }).success).toBe(false);
    expect(ReportQuery.safeParse({ from: from.toISOString(), to: to.toISOString(), timeZone: 'Mars/Olympus' }).success).toBe(false);
  });
});
