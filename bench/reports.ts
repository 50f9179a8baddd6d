import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { agentReport, foldReportEvents, queueReport, reportCsv, ReportQuery, startReportFolder, wrapUpReport } from '../src/reports/index.ts';
import { createLogger } from '../src/observability/index.ts';
import { migrateToLatest, openStore, type Database } from '../src/store/index.ts';
import { startTestServices } from '../test/support/services.ts';
import { percentile } from './random.ts';

/**
 * Reports over a generated history of a million conversations (BENCH_SCALE shrinks it):
 * 90 days, 20 queues, 500 agents, 8 wrap-up codes; 80 % answered, 12 % abandoned, 8 %
 * answered after an offer timed out. The raw rows are bulk-loaded with the triggers off,
 * and their facts appended with one INSERT … SELECT that mirrors the triggers; the folder
 * then folds them (facts per second).
 *
 * Each report runs 30 times (p50, p99) against the same question asked directly of the
 * raw rows in the same run: the baseline a report without aggregates would cost. Last,
 * the event-to-report latency: facts committed at a steady rate while a folder runs,
 * and the time until a marker fact shows in a report.
 */
const CONVERSATIONS = Math.round(1_000_000 * Number(process.env.BENCH_SCALE ?? 1));
const TENANT = 'bench';
const DAYS = 90;
const START = new Date('2026-09-01T00:00:00Z');
const RUNS = 30;

async function loadHistory(db: Kysely<Database>): Promise<void> {
  const customer = randomUUID();
  await db.insertInto('customers').values({ id: customer, tenant: TENANT, name: null }).execute();
  const chunk = 100_000;
  for (let first = 0; first < CONVERSATIONS; first += chunk) {
    const last = Math.min(CONVERSATIONS, first + chunk) - 1;
    await db.transaction().execute(async (tx) => {
      // The raw rows alone: the facts are appended below, in bulk.
      await sql`SET LOCAL session_replication_role = replica`.execute(tx);
      await sql`
        INSERT INTO conversations (id, tenant, channel, customer_id, external_id, state, queue, agent_id, last_message_at, created_at, closed_at, snapshot)
        SELECT md5('c' || i)::uuid, ${TENANT}, 'web', ${customer}::uuid, 'x' || i, 'closed', 'queue' || (i % 20),
               CASE WHEN i % 100 >= 12 THEN 'agent' || (i % 500) END,
               t, t, t + interval '20 minutes', '{}'
        FROM generate_series(${first}::int, ${last}::int) AS i,
             LATERAL (SELECT ${START.toISOString()}::timestamptz + (i::double precision / ${CONVERSATIONS}) * interval '${sql.raw(String(DAYS))} days' AS t) AS s`.execute(tx);
      await sql`
        INSERT INTO assignments (id, tenant, conversation_id, agent_id, queue, state, offered_at, answered_at, ended_at, reason, wrap_up_code)
        SELECT md5('a' || i)::uuid, ${TENANT}, md5('c' || i)::uuid, 'agent' || (i % 500), 'queue' || (i % 20), 'ended',
               t + w, t + w, t + w + h, '{}', 'code' || (i % 8)
        FROM generate_series(${first}::int, ${last}::int) AS i,
             LATERAL (SELECT ${START.toISOString()}::timestamptz + (i::double precision / ${CONVERSATIONS}) * interval '${sql.raw(String(DAYS))} days' AS t,
                             make_interval(secs => (i * 7919) % 240) AS w, make_interval(secs => 60 + (i * 104729) % 1200) AS h) AS s
        WHERE i % 100 >= 12`.execute(tx);
      // The facts the triggers would have appended for the same rows.
      await sql`
        INSERT INTO report_events (tenant, kind, at, queue, agent_id, wrap_up_code, seconds)
        SELECT ${TENANT}, f.kind, f.at, 'queue' || (c.i % 20), f.agent, f.code, f.seconds
        FROM generate_series(${first}::int, ${last}::int) AS c(i),
             LATERAL (SELECT ${START.toISOString()}::timestamptz + (c.i::double precision / ${CONVERSATIONS}) * interval '${sql.raw(String(DAYS))} days' AS t,
                             ((c.i * 7919) % 240)::double precision AS w, (60 + (c.i * 104729) % 1200)::double precision AS h) AS s,
             LATERAL (VALUES
               ('offered', s.t, NULL, NULL, NULL::double precision),
               (CASE WHEN c.i % 100 >= 12 THEN 'offer' END, s.t + make_interval(secs => s.w), 'agent' || (c.i % 500), NULL, NULL),
               (CASE WHEN c.i % 100 >= 12 THEN 'answered' ELSE 'abandoned' END, s.t + make_interval(secs => s.w), CASE WHEN c.i % 100 >= 12 THEN 'agent' || (c.i % 500) END, NULL, s.w),
               (CASE WHEN c.i % 100 >= 12 THEN 'handled' END, s.t + make_interval(secs => s.w + s.h), 'agent' || (c.i % 500), 'code' || (c.i % 8), s.h)
             ) AS f(kind, at, agent, code, seconds)
        WHERE f.kind IS NOT NULL`.execute(tx);
    });
  }
  await sql`ANALYZE conversations, assignments, report_events`.execute(db);
}

async function timed(run: () => Promise<unknown>): Promise<{ p50: number; p99: number; rows: number }> {
  const ms: number[] = [];
  let rows = 0;
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const result = await run();
    ms.push(performance.now() - start);
    rows = Array.isArray(result) ? result.length : typeof result === 'string' ? result.split('\n').length - 2 : 0;
  }
  ms.sort((a, b) => a - b);
  return { p50: Math.round(percentile(ms, 50) * 10) / 10, p99: Math.round(percentile(ms, 99) * 10) / 10, rows };
}

/** The queue report's question asked of the raw rows: what reports would cost without aggregates. */
function rawQueueReport(db: Kysely<Database>, from: Date, to: Date, unit: 'day' | 'hour', zone: string) {
  return sql`
    SELECT c.queue, date_trunc(${unit}, c.created_at AT TIME ZONE ${zone}) AS period,
           count(*) AS offered, count(a.id) AS answered, count(*) - count(a.id) AS abandoned,
           avg(extract(epoch FROM a.answered_at - c.created_at)) AS asa,
           avg(extract(epoch FROM a.ended_at - a.answered_at)) AS aht,
           count(*) FILTER (WHERE a.answered_at - c.created_at <= interval '60 seconds') AS within
    FROM conversations c LEFT JOIN assignments a ON a.conversation_id = c.id AND a.answered_at IS NOT NULL
    WHERE c.tenant = ${TENANT} AND c.created_at >= ${from} AND c.created_at < ${to}
    GROUP BY 1, 2`
    .execute(db)
    .then((r) => r.rows);
}

function rawAgentReport(db: Kysely<Database>, from: Date, to: Date) {
  return sql`
    SELECT agent_id, date_trunc('day', ended_at) AS period, count(*) AS handled, avg(extract(epoch FROM ended_at - answered_at)) AS aht
    FROM assignments WHERE tenant = ${TENANT} AND ended_at >= ${from} AND ended_at < ${to} AND answered_at IS NOT NULL
    GROUP BY 1, 2`
    .execute(db)
    .then((r) => r.rows);
}

/** Facts at a steady rate while a folder runs; how long until each marker shows in a report. */
async function eventToReport(db: Kysely<Database>): Promise<{ p50: number; p99: number; factsPerSecond: number }> {
  const folder = startReportFolder({ db, logger: createLogger({}, { level: 'error' }) });
  const latencies: number[] = [];
  const factsPerSecond = 2_000;
  let stop = false;
  const load = (async () => {
    while (!stop) {
      const started = performance.now();
      await sql`
        INSERT INTO report_events (tenant, kind, at, queue, agent_id, seconds)
        SELECT ${TENANT}, 'answered', now(), 'queue' || (i % 20), 'agent' || (i % 500), i % 90 FROM generate_series(1, ${factsPerSecond / 10}) AS i`.execute(db);
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (performance.now() - started))));
    }
  })();
  try {
    const minute = () => new Date(Math.floor(Date.now() / 900_000) * 900_000);
    for (let i = 0; i < 40; i++) {
      const marker = `marker${i}`;
      const start = performance.now();
      await sql`INSERT INTO report_events (tenant, kind, at, queue) VALUES (${TENANT}, 'offered', now(), ${marker})`.execute(db);
      const q = ReportQuery.parse({ from: minute().toISOString(), to: new Date(minute().getTime() + 900_000).toISOString(), granularity: 'total', keys: marker });
      while ((await queueReport(db, TENANT, q)).length === 0) await new Promise((r) => setTimeout(r, 10));
      latencies.push(performance.now() - start);
    }
  } finally {
    stop = true;
    await load;
    await folder.stop();
  }
  latencies.sort((a, b) => a - b);
  return { p50: Math.round(percentile(latencies, 50)), p99: Math.round(percentile(latencies, 99)), factsPerSecond };
}

export async function runReportsBenchmark(): Promise<unknown> {
  const services = await startTestServices();
  const store = await openStore({ url: services.databaseUrl, poolSize: 4 });
  try {
    await migrateToLatest(store.db);
    const loadStart = performance.now();
    await loadHistory(store.db);
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const facts = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM report_events`.execute(store.db)).rows[0]!.n);
    const foldStart = performance.now();
    while ((await foldReportEvents(store.db, 20_000)).length > 0);
    const foldSeconds = (performance.now() - foldStart) / 1000;
    const intervalRows = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM report_intervals`.execute(store.db)).rows[0]!.n);
    console.error(`loaded ${CONVERSATIONS} conversations in ${loadSeconds.toFixed(1)} s; folded ${facts} facts in ${foldSeconds.toFixed(1)} s into ${intervalRows} interval rows`);

    const month = { from: new Date('2026-10-01T00:00:00Z'), to: new Date('2026-10-31T00:00:00Z') };
    const day = { from: new Date('2026-10-15T00:00:00Z'), to: new Date('2026-10-16T00:00:00Z') };
    const q = (period: { from: Date; to: Date }, granularity: string, extra: Record<string, string> = {}) =>
      ReportQuery.parse({ from: period.from.toISOString(), to: period.to.toISOString(), granularity, timeZone: 'Europe/Paris', ...extra });
    const reports = {
      queuesMonthByDay: await timed(() => queueReport(store.db, TENANT, q(month, 'day'))),
      queuesDayBy15m: await timed(() => queueReport(store.db, TENANT, q(day, '15m'))),
      queues90DaysTotal: await timed(() => queueReport(store.db, TENANT, q({ from: START, to: new Date(START.getTime() + DAYS * 86_400_000) }, 'total'))),
      agentsMonthByDay: await timed(() => agentReport(store.db, TENANT, q(month, 'day'))),
      wrapUpMonthTotal: await timed(() => wrapUpReport(store.db, TENANT, q(month, 'total'))),
      queuesMonthByHourCsv: await timed(async () => reportCsv(await queueReport(store.db, TENANT, q(month, 'hour')), ['interval', 'queue', 'offered', 'answered', 'serviceLevel'])),
    };
    const raw = {
      queuesMonthByDay: await timed(() => rawQueueReport(store.db, month.from, month.to, 'day', 'Europe/Paris')),
      queuesDayByHour: await timed(() => rawQueueReport(store.db, day.from, day.to, 'hour', 'Europe/Paris')),
      agentsMonthByDay: await timed(() => rawAgentReport(store.db, month.from, month.to)),
    };
    const live = await eventToReport(store.db);
    return {
      benchmark: 'reports',
      conversations: CONVERSATIONS,
      facts,
      foldFactsPerSecond: Math.round(facts / foldSeconds),
      intervalRows,
      reportsMs: reports,
      baselineRawRowsMs: raw,
      speedup: {
        queuesMonthByDay: Math.round((raw.queuesMonthByDay.p50 / reports.queuesMonthByDay.p50) * 10) / 10,
        agentsMonthByDay: Math.round((raw.agentsMonthByDay.p50 / reports.agentsMonthByDay.p50) * 10) / 10,
      },
      eventToReportMs: live,
    };
  } finally {
    await store.close();
    await services.stop();
  }
}
