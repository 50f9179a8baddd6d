import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { bulkFold } from '../../bench/reports-bulk-fold.ts';
import { benchQueueSkills } from '../../bench/reports-history.ts';
import { foldReportEvents } from '../../src/reports/index.ts';
import { useMigratedStore } from '../support/migrated-store.ts';
import { planHistory, writeHistory } from '../support/report-history.ts';

const ctx = useMigratedStore();

/** The benchmark's set-based fold must write exactly what the live folder writes, or its timings measure other rows. */
describe('the benchmark bulk fold', () => {
  it('gives the same interval rows as the live folder for the same facts', async () => {
    const db = ctx.store.db;
    const plan = planHistory({
      seed: 21,
      conversations: 150,
      from: new Date('2026-11-30T00:00:00Z'),
      hours: 12,
      queues: ['queue1', 'queue2', 'queue7'],
      agents: ['agent1', 'agent2', 'agent3'],
      wrapUpCodes: ['code1', 'code2'],
      skills: ['skill1', 'vip'],
      afterWork: { queues: ['queue1', 'queue7'], maxSeconds: 200 },
    });
    await writeHistory(db, 'bench', plan);
    await sql`CREATE TABLE kept_facts AS SELECT * FROM report_events`.execute(db);
    while ((await foldReportEvents(db, 1_000, benchQueueSkills)).length > 0);
    const rows = async () => (await sql`SELECT * FROM report_intervals ORDER BY tenant, dimension, key, interval_start`.execute(db)).rows;
    const live = await rows();
    await sql`TRUNCATE report_intervals`.execute(db);
    await sql`INSERT INTO report_events SELECT * FROM kept_facts`.execute(db);
    // Small statements: rows of one interval are added up across them too.
    await bulkFold(db, 97);
    expect(await rows()).toEqual(live);
    expect(live.length).toBeGreaterThan(100);
  });
});
