import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { addReportTimeZones, foldReportEvents, Granularities, readIntervals, readPlan, ReportQuery } from '../../src/reports/index.ts';
import * as rollUpMigration from '../../src/store/migrations/2026-12-07T0101-rollups-report-rollups.ts';
import { useMigratedStore } from '../support/migrated-store.ts';
import { planHistory, writeHistory } from '../support/report-history.ts';

/**
 * Reports read from the hour and day roll-ups must equal the same reports read from the
 * 15-minute rows alone, whatever the zone, granularity and period: UTC, Europe/Paris over
 * its October DST change (a 25-hour day), Asia/Kolkata (+05:30: no hour rows fit its
 * hours), and a zone without day rows (America/New_York).
 */
const ctx = useMigratedStore();
const HOUR = 3_600_000;
// Paris leaves summer time on 2026-10-25 at 01:00Z; New York on 2026-11-01 at 06:00Z.
const historyFrom = new Date('2026-10-22T00:00:00Z');
const HOURS = 24 * 12;

const periods = [
  { name: 'whole UTC days', from: '2026-10-23T00:00:00Z', to: '2026-10-30T00:00:00Z' },
  { name: 'partial edges across the DST changes', from: '2026-10-22T05:45:00Z', to: '2026-11-02T21:15:00Z' },
  { name: 'within one day', from: '2026-10-25T00:15:00Z', to: '2026-10-25T13:30:00Z' },
];
const zones = ['UTC', 'Europe/Paris', 'Asia/Kolkata', 'America/New_York'];
const dimensions = ['queue', 'agent', 'wrapUp', 'skill'] as const;

async function foldAll(): Promise<void> {
  for (;;) {
    const batches = await Promise.all([1, 2].map(() => foldReportEvents(ctx.store.db, 113, (_tenant, queue) => (queue === 'sales' ? ['english'] : []))));
    if (batches.every((b) => b.length === 0)) return;
  }
}

beforeAll(async () => {
  const db = ctx.store.db;
  // Paris has day rows from the start (the folder writes them); Kolkata gets them afterwards (filled from the 15-minute rows).
  expect(await addReportTimeZones(db, ['Europe/Paris', 'UTC'])).toEqual(['Europe/Paris']);
  const plan = planHistory({
    seed: 15,
    conversations: 400,
    from: historyFrom,
    hours: HOURS,
    queues: ['sales', 'support'],
    agents: ['ana', 'bo', 'chen'],
    wrapUpCodes: ['resolved', 'spam'],
    skills: ['french', 'vip'],
    afterWork: { queues: ['sales'], maxSeconds: 300 },
  });
  await writeHistory(db, 'acme', plan);
  await foldAll();
  expect(await addReportTimeZones(db, ['Asia/Kolkata'])).toEqual(['Asia/Kolkata']);
}, 300_000);

describe('reports from roll-ups', () => {
  for (const zone of zones) {
    for (const period of periods) {
      it(`equal the 15-minute rows in ${zone}, ${period.name}, for every granularity and dimension`, async () => {
        for (const granularity of Granularities) {
          const q = ReportQuery.parse({ from: period.from, to: period.to, granularity, timeZone: zone });
          for (const dimension of dimensions) {
            const fromRollUps = await readIntervals(ctx.store.db, 'acme', dimension, q);
            const fromQuarters = await readIntervals(ctx.store.db, 'acme', dimension, q, { rollUps: false });
            expect(fromRollUps, `${granularity} ${dimension}`).toEqual(fromQuarters);
            expect(fromQuarters.length, `${granularity} ${dimension}`).toBeGreaterThan(0);
          }
        }
      });
    }
  }

  it('reads day rows, hour rows and 15-minute rows where each is exact', () => {
    const zonesWithDays = new Set(['UTC', 'Europe/Paris', 'Asia/Kolkata']);
    const plan = (granularity: string, timeZone: string, from = '2026-10-22T05:45:00Z', to = '2026-11-02T21:15:00Z') =>
      readPlan(ReportQuery.parse({ from, to, granularity, timeZone }), zonesWithDays);
    // Paris by day: its local days (the 25-hour one included), UTC hours at the edges, the partial hour in 15-minute rows.
    const paris = plan('day', 'Europe/Paris');
    expect(paris.dayZone).toBe('Europe/Paris');
    expect(paris.days).toEqual([{ from: new Date('2026-10-22T22:00:00Z'), to: new Date('2026-11-01T23:00:00Z') }]);
    expect(paris.quarters).toEqual([{ from: new Date('2026-10-22T05:45:00Z'), to: new Date('2026-10-22T06:00:00Z') }, { from: new Date('2026-11-02T21:00:00Z'), to: new Date('2026-11-02T21:15:00Z') }]);
    // Kolkata by hour: every local hour starts at :30 UTC, so no hour row fits one.
    expect(plan('hour', 'Asia/Kolkata').hours).toEqual([]);
    // New York has no day rows: its days are read from hour rows.
    const newYork = plan('day', 'America/New_York');
    expect(newYork.days).toEqual([]);
    expect(newYork.hours.length).toBeGreaterThan(0);
    // A total may use UTC days for any zone.
    expect(plan('total', 'America/New_York').dayZone).toBe('UTC');
    const period = (p: { from: Date; to: Date }) => p.to.getTime() - p.from.getTime();
    for (const p of [paris, newYork, plan('hour', 'Asia/Kolkata'), plan('total', 'Asia/Kolkata'), plan('hour', 'Europe/Paris')]) {
      const covered = [...p.days, ...p.hours, ...p.quarters].reduce((n, r) => n + period(r), 0);
      expect(covered).toBe(period({ from: new Date('2026-10-22T05:45:00Z'), to: new Date('2026-11-02T21:15:00Z') }));
    }
    expect(period(paris.days[0]!)).toBe((10 * 24 + 1) * HOUR);
  });

  it('are filled by the migration from the 15-minute rows of an upgraded install as the folder writes them', async () => {
    const db = ctx.store.db;
    const hours = sql`SELECT * FROM report_hours ORDER BY tenant, dimension, key, interval_start`;
    const utcDays = sql`SELECT * FROM report_days WHERE time_zone = 'UTC' ORDER BY tenant, dimension, key, interval_start`;
    const [folderHours, folderDays] = [(await hours.execute(db)).rows, (await utcDays.execute(db)).rows];
    await sql`DROP TABLE report_days, report_hours, report_time_zones`.execute(db);
    await rollUpMigration.up(db);
    expect((await hours.execute(db)).rows).toEqual(folderHours);
    expect((await sql`SELECT * FROM report_days ORDER BY tenant, dimension, key, interval_start`.execute(db)).rows).toEqual(folderDays);
    expect(folderHours.length).toBeGreaterThan(100);
    expect(folderDays.length).toBeGreaterThan(50);
  });
});
