import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { agentReport, foldReportEvents, queueReport, ReportQuery, skillsReport, wrapUpReport } from '../../src/reports/index.ts';
import { useMigratedStore } from '../support/migrated-store.ts';
import { planHistory, writeHistory, type PlannedConversation } from '../support/report-history.ts';

/**
 * Every figure of every interval report, checked against the same figure computed
 * independently: by one SQL aggregate over the raw facts the triggers appended (kept
 * aside before folding), over the raw assignment rows, and from the generated plan itself.
 */

const from = new Date('2026-11-30T00:00:00Z');
const to = new Date('2026-12-02T00:00:00Z');
const tenant = 'acme';
const queueSkills: Record<string, string[]> = { support: ['tech'], billing: ['tech', 'de'] };
const SERVICE_LEVEL_SECONDS = 30;

const ctx = useMigratedStore();
let plan: PlannedConversation[];

const query = (q: Record<string, string>) => ReportQuery.parse({ from: from.toISOString(), to: to.toISOString(), ...q });
const ratio = (part: number, whole: number, scale = 1) => (whole === 0 ? null : Math.round((part / whole) * scale * 100) / 100);

interface RawSums {
  key: string;
  start: number;
  offered: number;
  answered: number;
  abandoned: number;
  flowedOut: number;
  transferred: number;
  answerWaitSum: number;
  within: number;
  handled: number;
  handleSum: number;
  afterWork: number;
  afterWorkSum: number;
  offers: number;
  offersRejected: number;
  offersTimedOut: number;
}

/** One aggregate over the raw facts: `keyOf` picks the dimension's key (a SQL expression over `f`), `handledKinds` what counts as handled. */
async function rawSums(granularity: 'hour' | 'day', zone: string, keyOf: string, handledKinds: string[], from_ = 'raw_facts f'): Promise<Map<string, RawSums>> {
  const { rows } = await sql<Record<string, string | number | Date>>`
    SELECT ${sql.raw(keyOf)} AS key, date_trunc(${granularity}, f.at AT TIME ZONE ${zone}) AT TIME ZONE ${zone} AS start,
      count(*) FILTER (WHERE kind = 'offered') AS offered,
      count(*) FILTER (WHERE kind = 'answered') AS answered,
      count(*) FILTER (WHERE kind = 'abandoned') AS abandoned,
      count(*) FILTER (WHERE kind = 'flowedOut') AS "flowedOut",
      count(*) FILTER (WHERE kind = 'transferred') AS transferred,
      coalesce(sum(seconds) FILTER (WHERE kind = 'answered'), 0) AS "answerWaitSum",
      count(*) FILTER (WHERE kind = 'answered' AND seconds <= ${SERVICE_LEVEL_SECONDS}) AS within,
      count(*) FILTER (WHERE kind = ANY(${handledKinds})) AS handled,
      coalesce(sum(seconds) FILTER (WHERE kind = ANY(${handledKinds})), 0) AS "handleSum",
      count(*) FILTER (WHERE kind = 'afterWork') AS "afterWork",
      coalesce(sum(seconds) FILTER (WHERE kind = 'afterWork'), 0) AS "afterWorkSum",
      count(*) FILTER (WHERE kind = 'offer') AS offers,
      count(*) FILTER (WHERE kind = 'offerRejected') AS "offersRejected",
      count(*) FILTER (WHERE kind = 'offerTimedOut') AS "offersTimedOut"
    FROM ${sql.raw(from_)}
    WHERE f.tenant = ${tenant} AND f.at >= ${from} AND f.at < ${to}
    GROUP BY 1, 2
    HAVING ${sql.raw(keyOf)} IS NOT NULL`.execute(ctx.store.db);
  const sums = new Map<string, RawSums>();
  for (const r of rows) {
    const row = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === 'key' ? v : k === 'start' ? (v as Date).getTime() : Number(v)])) as unknown as RawSums;
    sums.set(`${row.key}|${row.start}`, row);
  }
  return sums;
}

const times = (r: RawSums) => ({
  averageTalkSeconds: ratio(r.handleSum, r.handled),
  averageAfterWorkSeconds: ratio(r.afterWorkSum, r.afterWork),
  averageHandleSeconds: ratio(r.handleSum + r.afterWorkSum, r.handled),
});

/** The rows a report gives and the raw aggregate's keys are the same set, and each pair agrees. */
function expectSameRows<R extends { interval: string }>(rows: R[], raw: Map<string, RawSums>, keyOf: (r: R) => string, expected: (s: RawSums) => Partial<R>): void {
  // A key may have only facts a report does not show (e.g. offers in the skill dimension): compare where either has figures.
  expect(rows.map((r) => `${keyOf(r)}|${Date.parse(r.interval)}`).sort()).toEqual([...raw.keys()].sort());
  for (const row of rows) {
    const s = raw.get(`${keyOf(row)}|${Date.parse(row.interval)}`)!;
    expect(row, `${keyOf(row)} ${row.interval}`).toMatchObject(expected(s));
  }
}

/** Folds with several folders at once in small batches: no fact may count twice or be lost. */
async function foldAll(): Promise<void> {
  for (;;) {
    const batches = await Promise.all([1, 2, 3].map(() => foldReportEvents(ctx.store.db, 89, (_, queue) => queueSkills[queue])));
    if (batches.every((b) => b.length === 0)) return;
  }
}

beforeAll(async () => {
  plan = planHistory({
    seed: 15,
    conversations: 300,
    from,
    hours: 40,
    queues: ['sales', 'support', 'billing'],
    agents: ['ana', 'bo', 'chen', 'dev'],
    wrapUpCodes: ['resolved', 'followUp'],
    skills: ['vip', 'fr', 'tech'],
    afterWork: { queues: ['sales', 'billing'], maxSeconds: 400 },
  });
  await writeHistory(ctx.store.db, tenant, plan);
  await writeHistory(ctx.store.db, 'globex', planHistory({ seed: 16, conversations: 40, from, hours: 40, queues: ['sales'], agents: ['ana'], wrapUpCodes: ['resolved'], skills: ['vip'], afterWork: { queues: ['sales'], maxSeconds: 60 } }));
  // The raw facts, kept aside before the folders consume them.
  await sql`CREATE TABLE raw_facts AS SELECT * FROM report_events`.execute(ctx.store.db);
  await foldAll();
}, 180_000);

describe('reports against the raw facts', () => {
  for (const [granularity, zone] of [
    ['hour', 'UTC'],
    ['day', 'America/New_York'],
  ] as const) {
    it(`queue report, by ${granularity} in ${zone}: every figure`, async () => {
      const rows = await queueReport(ctx.store.db, tenant, query({ granularity, timeZone: zone, serviceLevelSeconds: String(SERVICE_LEVEL_SECONDS) }));
      const raw = await rawSums(granularity, zone, 'f.queue', ['handled']);
      for (const [k, s] of raw) if (s.offered + s.answered + s.abandoned + s.flowedOut + s.transferred + s.handled + s.afterWork === 0) raw.delete(k);
      expectSameRows(rows, raw, (r) => r.queue, (s) => ({
        offered: s.offered,
        answered: s.answered,
        abandoned: s.abandoned,
        flowedOut: s.flowedOut,
        transferred: s.transferred,
        abandonRate: ratio(s.abandoned, s.offered, 100),
        averageSpeedOfAnswerSeconds: ratio(s.answerWaitSum, s.answered),
        handled: s.handled,
        ...times(s),
        serviceLevel: ratio(s.within, s.answered + s.abandoned, 100),
        serviceLevelSeconds: SERVICE_LEVEL_SECONDS,
      }));
    });

    it(`agent report, by ${granularity} in ${zone}: every figure`, async () => {
      const rows = await agentReport(ctx.store.db, tenant, query({ granularity, timeZone: zone }));
      const raw = await rawSums(granularity, zone, 'f.agent_id', ['handled']);
      expectSameRows(rows, raw, (r) => r.agent, (s) => ({
        offers: s.offers,
        offersRejected: s.offersRejected,
        offersTimedOut: s.offersTimedOut,
        answered: s.answered,
        handled: s.handled,
        transferred: s.transferred,
        ...times(s),
      }));
    });

    it(`wrap-up report, by ${granularity} in ${zone}: every figure`, async () => {
      const rows = await wrapUpReport(ctx.store.db, tenant, query({ granularity, timeZone: zone }));
      const raw = await rawSums(granularity, zone, 'f.wrap_up_code', ['handled', 'wrappedUp']);
      const perPeriod = new Map<number, number>();
      for (const s of raw.values()) perPeriod.set(s.start, (perPeriod.get(s.start) ?? 0) + s.handled);
      expectSameRows(rows, raw, (r) => r.wrapUpCode, (s) => ({ handled: s.handled, ...times(s), share: Math.round((s.handled / (perPeriod.get(s.start) || 1)) * 10_000) / 100 }));
    });

    it(`skills report, by ${granularity} in ${zone}: every figure, with the queue's skills added`, async () => {
      const rows = await skillsReport(ctx.store.db, tenant, query({ granularity, timeZone: zone, serviceLevelSeconds: String(SERVICE_LEVEL_SECONDS) }));
      const queueSkillsSql = Object.entries(queueSkills)
        .map(([queue, skills]) => `WHEN '${queue}' THEN ARRAY[${skills.map((s) => `'${s}'`).join(', ')}]`)
        .join(' ');
      const raw = await rawSums(
        granularity,
        zone,
        'k.skill',
        ['handled'],
        `raw_facts f CROSS JOIN LATERAL (SELECT DISTINCT skill FROM unnest(CASE WHEN f.kind IN ('offered', 'answered', 'abandoned', 'handled', 'afterWork') THEN coalesce(f.skills, '{}') || CASE f.queue ${queueSkillsSql} ELSE '{}'::text[] END END) AS skill) k`,
      );
      expectSameRows(rows, raw, (r) => r.skill, (s) => ({
        offered: s.offered,
        answered: s.answered,
        abandoned: s.abandoned,
        abandonRate: ratio(s.abandoned, s.offered, 100),
        averageSpeedOfAnswerSeconds: ratio(s.answerWaitSum, s.answered),
        handled: s.handled,
        ...times(s),
        serviceLevel: ratio(s.within, s.answered + s.abandoned, 100),
      }));
    });
  }
});

describe('reports against the raw rows and the plan', () => {
  it('agent handled and talk time equal the ended assignments', async () => {
    const rows = await agentReport(ctx.store.db, tenant, query({ granularity: 'total' }));
    const { rows: raw } = await sql<{ agent_id: string; handled: string; talk: number }>`
      SELECT agent_id, count(*) AS handled, sum(extract(epoch FROM ended_at - answered_at))::float8 AS talk
      FROM assignments WHERE tenant = ${tenant} AND state = 'ended' AND answered_at IS NOT NULL AND ended_at >= ${from} AND ended_at < ${to}
      GROUP BY 1`.execute(ctx.store.db);
    expect(Object.fromEntries(rows.map((r) => [r.agent, [r.handled, r.averageTalkSeconds]]))).toEqual(
      Object.fromEntries(raw.map((r) => [r.agent_id, [Number(r.handled), ratio(r.talk, Number(r.handled))]])),
    );
  });

  it('after-work per queue is the after-work the plan gave the closing agents', async () => {
    const rows = await queueReport(ctx.store.db, tenant, query({ granularity: 'total' }));
    const expected = new Map<string, { n: number; sum: number }>();
    for (const c of plan) {
      if (c.afterWorkSeconds === 0) continue;
      const queue = c.transfer?.queue ?? c.queue;
      const e = expected.get(queue) ?? { n: 0, sum: 0 };
      expected.set(queue, { n: e.n + 1, sum: e.sum + c.afterWorkSeconds });
    }
    expect(expected.size).toBeGreaterThan(0);
    for (const row of rows) {
      const e = expected.get(row.queue);
      expect(row.averageAfterWorkSeconds, row.queue).toBe(e ? ratio(e.sum, e.n) : null);
    }
  });

  it('a skill is offered each conversation entry that required it, its own skills or its queue’s', async () => {
    const rows = await skillsReport(ctx.store.db, tenant, query({ granularity: 'total' }));
    const offered = new Map<string, number>();
    const entry = (c: PlannedConversation, queue: string) => {
      for (const skill of new Set([...c.skills, ...(queueSkills[queue] ?? [])])) offered.set(skill, (offered.get(skill) ?? 0) + 1);
    };
    for (const c of plan) {
      entry(c, c.queue);
      if (c.transfer) entry(c, c.transfer.queue);
    }
    expect(Object.fromEntries(rows.map((r) => [r.skill, r.offered]))).toEqual(Object.fromEntries(offered));
  });
});
