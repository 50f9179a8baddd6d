import { sql, type Kysely } from 'kysely';
import { Registry } from 'prom-client';
import {
  addReportTimeZones,
  agentReport,
  campaignCsvRow,
  campaignReport,
  CampaignReportQuery,
  foldReportEvents,
  queueReport,
  readIntervals,
  rebuildRollUps,
  reportCsv,
  reportMetrics,
  ReportQuery,
  skillsReport,
  startReportFolder,
  wrapUpReport,
} from '../src/reports/index.ts';
import { createLogger } from '../src/observability/index.ts';
import { migrateToLatest, openStore, type Database } from '../src/store/index.ts';
import { startTestServices } from '../test/support/services.ts';
import { percentile } from './random.ts';
import { bulkFold } from './reports-bulk-fold.ts';
import { benchQueueSkills, loadReportsHistory } from './reports-history.ts';

/**
 * Reports over a generated history of a million conversations (BENCH_SCALE scales it): 90
 * days, 20 queues, 500 agents, 8 wrap-up codes, 13 conversation skills and 4 queue
 * skills, after-work, and one campaign over a list as large as the history
 * (bench/reports-history.ts). The first facts are folded by the live folder (its rate is
 * measured), the rest by the same arithmetic as one statement per million facts
 * (bench/reports-bulk-fold.ts), and the hour and day roll-ups rebuilt from the 15-minute
 * rows (UTC and Europe/Paris have day rows); the folded totals are then checked against
 * the raw rows, and the roll-ups' totals against the 15-minute rows'.
 *
 * Each report and export runs 30 times (p50, p99) against the same question asked directly
 * of the raw rows in the same run: what a report without aggregates would cost, and
 * against the same report read from the 15-minute rows alone (before roll-ups). Last, the
 * event-to-view latency under a steady load of facts: from the commit of a marker fact to
 * its showing in a report, and in the Prometheus counter a dashboard reads.
 */
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const TENANT = 'bench';
const DAYS = 90;
const START = new Date('2026-09-01T00:00:00Z');
const RUNS = 30;
/** Runs of the slow baselines (seconds each at full scale): enough for a p50. */
const BASELINE_RUNS = 7;
/** Facts folded by the live folder before the bulk fold takes over. */
const FOLDER_FACTS = Number(process.env.BENCH_FOLDER_FACTS ?? 200_000);

interface Timing {
  p50: number;
  p99: number;
  rows: number;
}

async function timed(run: () => Promise<unknown>, runs = RUNS): Promise<Timing> {
  const ms: number[] = [];
  let rows = 0;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const result = await run();
    ms.push(performance.now() - start);
    rows = Array.isArray(result) ? result.length : typeof result === 'string' ? result.split('\n').length - 2 : 0;
  }
  ms.sort((a, b) => a - b);
  return { p50: Math.round(percentile(ms, 50) * 10) / 10, p99: Math.round(percentile(ms, 99) * 10) / 10, rows };
}

const rowsOf = (q: Promise<{ rows: unknown[] }>) => q.then((r) => r.rows);

/** The queue report's question asked of the raw rows. */
function rawQueueReport(db: Kysely<Database>, from: Date, to: Date, unit: 'day' | 'hour', zone: string) {
  return rowsOf(
    sql`
    SELECT c.queue, date_trunc(${unit}, c.created_at AT TIME ZONE ${zone}) AS period,
           count(*) AS offered, count(a.id) AS answered, count(*) - count(a.id) AS abandoned,
           avg(extract(epoch FROM a.answered_at - c.created_at)) AS asa,
           avg(extract(epoch FROM a.ended_at - a.answered_at)) AS aht,
           count(*) FILTER (WHERE a.answered_at - c.created_at <= interval '60 seconds') AS within
    FROM conversations c LEFT JOIN assignments a ON a.conversation_id = c.id AND a.answered_at IS NOT NULL
    WHERE c.tenant = ${TENANT} AND c.created_at >= ${from} AND c.created_at < ${to}
    GROUP BY 1, 2`.execute(db),
  );
}

function rawAgentReport(db: Kysely<Database>, from: Date, to: Date) {
  return rowsOf(
    sql`
    SELECT agent_id, date_trunc('day', ended_at) AS period, count(*) AS handled, avg(extract(epoch FROM ended_at - answered_at)) AS aht
    FROM assignments WHERE tenant = ${TENANT} AND ended_at >= ${from} AND ended_at < ${to} AND answered_at IS NOT NULL
    GROUP BY 1, 2`.execute(db),
  );
}

/** The skills report's question of the raw rows: each conversation's skills from its snapshot. */
function rawSkillsReport(db: Kysely<Database>, from: Date, to: Date) {
  return rowsOf(
    sql`
    SELECT skill, count(*) AS offered, count(a.id) AS answered, avg(extract(epoch FROM a.answered_at - c.created_at)) AS asa,
           avg(extract(epoch FROM a.ended_at - a.answered_at)) AS aht
    FROM conversations c
      CROSS JOIN LATERAL jsonb_array_elements_text(c.snapshot->'context'->'skills') AS skill
      LEFT JOIN assignments a ON a.conversation_id = c.id AND a.answered_at IS NOT NULL
    WHERE c.tenant = ${TENANT} AND c.created_at >= ${from} AND c.created_at < ${to}
    GROUP BY 1`.execute(db),
  );
}

/** The folded totals against counts over the raw rows: each must hold, or the reports measured are wrong. */
async function checkTotals(db: Kysely<Database>): Promise<Record<string, boolean>> {
  const one = async <T>(query: ReturnType<typeof sql<T>>) => (await query.execute(db)).rows[0]!;
  const folded = await one(sql<{ offered: string; answered: string; handled: string; after_work: string; skill_offered: string; agent_handled: string }>`
    SELECT sum(offered) FILTER (WHERE dimension = 'queue') AS offered, sum(answered) FILTER (WHERE dimension = 'queue') AS answered,
           sum(handled) FILTER (WHERE dimension = 'queue') AS handled, sum(after_work) FILTER (WHERE dimension = 'queue') AS after_work,
           sum(offered) FILTER (WHERE dimension = 'skill') AS skill_offered, sum(handled) FILTER (WHERE dimension = 'agent') AS agent_handled
    FROM report_intervals WHERE tenant = ${TENANT}`);
  const raw = await one(sql<{ conversations: string; assignments: string; skills: string }>`
    SELECT (SELECT count(*) FROM conversations WHERE tenant = ${TENANT} AND queue IS NOT NULL) AS conversations,
           (SELECT count(*) FROM assignments WHERE tenant = ${TENANT} AND answered_at IS NOT NULL) AS assignments,
           (SELECT sum(jsonb_array_length(snapshot->'context'->'skills') + 1) FROM conversations WHERE tenant = ${TENANT} AND queue IS NOT NULL) AS skills`);
  // After-work, as generated: conversation i answered (i % 100 >= 12) and followed by after-work (i % 5 <> 0).
  const afterWork = await one(sql<{ n: string }>`SELECT count(*) AS n FROM generate_series(0, ${raw.conversations}::int - 1) AS i WHERE i % 100 >= 12 AND i % 5 <> 0`);
  // Every roll-up adds up to the 15-minute rows, per dimension and figure.
  const rollUps = await one(sql<{ ok: boolean }>`
    WITH q AS (SELECT dimension, sum(offered) o, sum(answered) a, sum(handled) h, sum(handle_sum) hs, sum(after_work) w, sum(offers) f FROM report_intervals GROUP BY 1),
         h AS (SELECT dimension, sum(offered) o, sum(answered) a, sum(handled) h, sum(handle_sum) hs, sum(after_work) w, sum(offers) f FROM report_hours GROUP BY 1),
         d AS (SELECT time_zone, dimension, sum(offered) o, sum(answered) a, sum(handled) h, sum(handle_sum) hs, sum(after_work) w, sum(offers) f FROM report_days GROUP BY 1, 2)
    SELECT (SELECT count(*) FROM q) = 4
       AND NOT EXISTS (SELECT 1 FROM q FULL JOIN h USING (dimension) WHERE (q.o, q.a, q.h, q.hs, q.w, q.f) IS DISTINCT FROM (h.o, h.a, h.h, h.hs, h.w, h.f))
       AND (SELECT count(*) FROM d) = 8
       AND NOT EXISTS (SELECT 1 FROM d JOIN q USING (dimension) WHERE (q.o, q.a, q.h, q.hs, q.w, q.f) IS DISTINCT FROM (d.o, d.a, d.h, d.hs, d.w, d.f)) AS ok`);
  return {
    rollUpsAddUp: rollUps.ok,
    offered: folded.offered === raw.conversations,
    answered: folded.answered === raw.assignments,
    handled: folded.handled === raw.assignments && folded.agent_handled === raw.assignments,
    skillOffered: folded.skill_offered === raw.skills,
    afterWork: folded.after_work === afterWork.n,
  };
}

/**
 * Facts at a steady rate while a folder runs; for each marker fact, how long until it shows
 * in a report and in the folder's Prometheus counter.
 */
async function eventToView(db: Kysely<Database>): Promise<{ report: { p50: number; p99: number }; prometheus: { p50: number; p99: number }; factsPerSecond: number }> {
  const registry = new Registry();
  const folder = startReportFolder({ db, logger: createLogger({}, { level: 'error' }), metrics: reportMetrics(registry), queueSkills: benchQueueSkills });
  const report: number[] = [];
  const prometheus: number[] = [];
  const factsPerSecond = 2_000;
  let stop = false;
  const load = (async () => {
    while (!stop) {
      const started = performance.now();
      await sql`
        INSERT INTO report_events (tenant, kind, at, queue, agent_id, seconds, skills)
        SELECT ${TENANT}, 'answered', now(), 'queue' || (i % 20), 'agent' || (i % 500), i % 90, ARRAY['skill' || (i % 12)] FROM generate_series(1, ${factsPerSecond / 10}) AS i`.execute(db);
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (performance.now() - started))));
    }
  })();
  const offered = async (queue: string) => {
    const metric = await registry.getSingleMetric('parley_queue_conversations_total')?.get();
    return metric?.values.some((v) => v.labels.queue === queue && v.labels.outcome === 'offered' && v.value > 0) ?? false;
  };
  try {
    const quarter = () => new Date(Math.floor(Date.now() / 900_000) * 900_000);
    for (let i = 0; i < 40; i++) {
      const marker = `marker${i}`;
      const start = performance.now();
      await sql`INSERT INTO report_events (tenant, kind, at, queue) VALUES (${TENANT}, 'offered', now(), ${marker})`.execute(db);
      const q = ReportQuery.parse({ from: quarter().toISOString(), to: new Date(quarter().getTime() + 900_000).toISOString(), granularity: 'total', keys: marker });
      let inReport: number | undefined;
      let inPrometheus: number | undefined;
      while (inReport === undefined || inPrometheus === undefined) {
        if (inPrometheus === undefined && (await offered(marker))) inPrometheus = performance.now() - start;
        if (inReport === undefined && (await queueReport(db, TENANT, q)).length > 0) inReport = performance.now() - start;
        await new Promise((r) => setTimeout(r, 5));
      }
      report.push(inReport);
      prometheus.push(inPrometheus);
    }
  } finally {
    stop = true;
    await load;
    await folder.stop();
  }
  const summary = (ms: number[]) => (ms.sort((a, b) => a - b), { p50: Math.round(percentile(ms, 50)), p99: Math.round(percentile(ms, 99)) });
  return { report: summary(report), prometheus: summary(prometheus), factsPerSecond };
}

export async function runReportsBenchmark(): Promise<unknown> {
  const conversations = Math.round(1_000_000 * SCALE);
  const services = await startTestServices();
  const store = await openStore({ url: services.databaseUrl, poolSize: 4 });
  const db = store.db;
  try {
    await migrateToLatest(db);
    // Day rows for Paris as well as UTC, as PARLEY_REPORT_TIME_ZONES=Europe/Paris gives them.
    await addReportTimeZones(db, ['Europe/Paris']);
    const loadStart = performance.now();
    await loadReportsHistory(db, { tenant: TENANT, conversations, start: START, days: DAYS, campaignContacts: conversations });
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const facts = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM report_events`.execute(db)).rows[0]!.n);
    const foldStart = performance.now();
    let folded = 0;
    for (let n = -1; n !== 0 && folded < FOLDER_FACTS; folded += n) n = (await foldReportEvents(db, 20_000, benchQueueSkills)).length;
    const foldSeconds = (performance.now() - foldStart) / 1000;
    const bulkStart = performance.now();
    await bulkFold(db);
    const bulkSeconds = (performance.now() - bulkStart) / 1000;
    // The bulk fold writes 15-minute rows only; the roll-ups are rebuilt from them, as a migration would.
    const rollUpStart = performance.now();
    await rebuildRollUps(db);
    const rollUpSeconds = (performance.now() - rollUpStart) / 1000;
    const rollUpRows = (await sql<{ hours: string; days: string }>`SELECT (SELECT count(*) FROM report_hours) AS hours, (SELECT count(*) FROM report_days) AS days`.execute(db)).rows[0]!;
    const intervalRows = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM report_intervals`.execute(db)).rows[0]!.n);
    console.error(`loaded ${conversations} conversations and ${conversations} campaign contacts in ${loadSeconds.toFixed(1)} s; folded ${folded} facts in ${foldSeconds.toFixed(1)} s, ${facts - folded} in bulk in ${bulkSeconds.toFixed(1)} s, into ${intervalRows} interval rows`);
    const checks = await checkTotals(db);

    const month = { from: new Date('2026-10-01T00:00:00Z'), to: new Date('2026-10-31T00:00:00Z') };
    const day = { from: new Date('2026-10-15T00:00:00Z'), to: new Date('2026-10-16T00:00:00Z') };
    const all = { from: START, to: new Date(START.getTime() + DAYS * 86_400_000) };
    const q = (period: { from: Date; to: Date }, granularity: string, timeZone = 'Europe/Paris') =>
      ReportQuery.parse({ from: period.from.toISOString(), to: period.to.toISOString(), granularity, timeZone });
    // Partial edges: from 06:45 UTC on the first day to 17:30 on the last, across Paris's October DST change.
    const ragged = { from: new Date('2026-10-01T06:45:00Z'), to: new Date('2026-10-30T17:30:00Z') };
    const csv = async (rows: Promise<object[]>) => {
      const r = await rows;
      return reportCsv(r, r[0] ? Object.keys(r[0]) : []);
    };
    const campaigns = CampaignReportQuery.parse({});
    const reports = {
      queuesMonthByDay: await timed(() => queueReport(db, TENANT, q(month, 'day'))),
      queuesDayBy15m: await timed(() => queueReport(db, TENANT, q(day, '15m'))),
      queues90DaysTotal: await timed(() => queueReport(db, TENANT, q(all, 'total'))),
      queues90DaysByDay: await timed(() => queueReport(db, TENANT, q(all, 'day'))),
      queuesMonthByHour: await timed(() => queueReport(db, TENANT, q(month, 'hour'))),
      queuesDayByHourKolkata: await timed(() => queueReport(db, TENANT, q(day, 'hour', 'Asia/Kolkata'))),
      agentsMonthByDay: await timed(() => agentReport(db, TENANT, q(month, 'day'))),
      agentsMonthByDayUtc: await timed(() => agentReport(db, TENANT, q(month, 'day', 'UTC'))),
      agentsMonthByDayPartialEdges: await timed(() => agentReport(db, TENANT, q(ragged, 'day'))),
      agents90DaysTotal: await timed(() => agentReport(db, TENANT, q(all, 'total'))),
      wrapUpMonthTotal: await timed(() => wrapUpReport(db, TENANT, q(month, 'total'))),
      skillsMonthByDay: await timed(() => skillsReport(db, TENANT, q(month, 'day'))),
      skills90DaysTotal: await timed(() => skillsReport(db, TENANT, q(all, 'total'))),
      campaigns: await timed(() => campaignReport(db, TENANT, campaigns)),
    };
    const exports = {
      queuesMonthByHourCsv: await timed(() => csv(queueReport(db, TENANT, q(month, 'hour')))),
      agentsMonthByDayCsv: await timed(() => csv(agentReport(db, TENANT, q(month, 'day')))),
      wrapUpMonthByDayCsv: await timed(() => csv(wrapUpReport(db, TENANT, q(month, 'day')))),
      skillsMonthByHourCsv: await timed(() => csv(skillsReport(db, TENANT, q(month, 'hour')))),
      campaignsCsv: await timed(async () => reportCsv((await campaignReport(db, TENANT, campaigns)).map(campaignCsvRow), Object.keys(campaignCsvRow((await campaignReport(db, TENANT, campaigns))[0]!)))),
    };
    const raw = {
      queuesMonthByDay: await timed(() => rawQueueReport(db, month.from, month.to, 'day', 'Europe/Paris')),
      queuesDayByHour: await timed(() => rawQueueReport(db, day.from, day.to, 'hour', 'Europe/Paris')),
      agentsMonthByDay: await timed(() => rawAgentReport(db, month.from, month.to)),
      skillsMonth: await timed(() => rawSkillsReport(db, month.from, month.to)),
    };
    // A zone without day rows (not in PARLEY_REPORT_TIME_ZONES): its days are read from hour rows.
    const zoneWithoutDayRows = { agentsMonthByDayNewYork: await timed(() => agentReport(db, TENANT, q(month, 'day', 'America/New_York')), BASELINE_RUNS) };
    // The same reports read from the 15-minute rows alone: what they cost before the roll-ups.
    const fifteenMinuteRows = {
      queuesMonthByDay: await timed(() => readIntervals(db, TENANT, 'queue', q(month, 'day'), { rollUps: false }), BASELINE_RUNS),
      queues90DaysTotal: await timed(() => readIntervals(db, TENANT, 'queue', q(all, 'total'), { rollUps: false }), BASELINE_RUNS),
      agentsMonthByDay: await timed(() => readIntervals(db, TENANT, 'agent', q(month, 'day'), { rollUps: false }), BASELINE_RUNS),
      skillsMonthByDay: await timed(() => readIntervals(db, TENANT, 'skill', q(month, 'day'), { rollUps: false }), BASELINE_RUNS),
    };
    const campaign = (await campaignReport(db, TENANT, campaigns))[0]!;
    const live = await eventToView(db);
    const slowestP99 = Math.max(...Object.values(reports).map((t) => t.p99), ...Object.values(exports).map((t) => t.p99));
    return {
      benchmark: 'reports',
      conversations,
      campaignContacts: conversations,
      loadSeconds: Math.round(loadSeconds),
      facts,
      liveFolder: { facts: folded, seconds: Math.round(foldSeconds * 10) / 10, factsPerSecond: Math.round(folded / foldSeconds) },
      bulkFold: { facts: facts - folded, seconds: Math.round(bulkSeconds) },
      rollUpRebuild: { seconds: Math.round(rollUpSeconds), hourRows: Number(rollUpRows.hours), dayRows: Number(rollUpRows.days) },
      totalsMatchRawRows: checks,
      intervalRows,
      reportsMs: reports,
      exportsMs: exports,
      zoneWithoutDayRowsMs: zoneWithoutDayRows,
      baselineRawRowsMs: raw,
      baselineFifteenMinuteRowsMs: fifteenMinuteRows,
      speedupOverFifteenMinuteRows: {
        queuesMonthByDay: Math.round((fifteenMinuteRows.queuesMonthByDay.p50 / reports.queuesMonthByDay.p50) * 10) / 10,
        queues90DaysTotal: Math.round((fifteenMinuteRows.queues90DaysTotal.p50 / reports.queues90DaysTotal.p50) * 10) / 10,
        agentsMonthByDay: Math.round((fifteenMinuteRows.agentsMonthByDay.p50 / reports.agentsMonthByDay.p50) * 10) / 10,
        skillsMonthByDay: Math.round((fifteenMinuteRows.skillsMonthByDay.p50 / reports.skillsMonthByDay.p50) * 10) / 10,
      },
      speedup: {
        queuesMonthByDay: Math.round((raw.queuesMonthByDay.p50 / reports.queuesMonthByDay.p50) * 10) / 10,
        agentsMonthByDay: Math.round((raw.agentsMonthByDay.p50 / reports.agentsMonthByDay.p50) * 10) / 10,
        skillsMonth: Math.round((raw.skillsMonth.p50 / reports.skillsMonthByDay.p50) * 10) / 10,
      },
      campaignResult: { sent: campaign.sent, delivered: campaign.delivered, skipped: campaign.skipped, optOuts: campaign.optOuts, replies: campaign.replies },
      everyReportUnder1s: slowestP99 < 1000,
      slowestP99Ms: slowestP99,
      eventToViewMs: live,
    };
  } finally {
    await store.close();
    await services.stop();
  }
}
