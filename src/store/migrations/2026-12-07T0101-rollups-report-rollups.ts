import { sql, type CreateTableBuilder, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

const COLUMNS = [
  'offered',
  'answered',
  'abandoned',
  'flowed_out',
  'transferred',
  'answer_wait_sum',
  'abandon_wait_sum',
  'handled',
  'handle_sum',
  'offers',
  'offers_rejected',
  'offers_timed_out',
  'after_work',
  'after_work_sum',
];
/** answered_within has one element per wait bound (20 when this migration was written). */
const BUCKETS = 20;

/** The 15-minute rows' columns, for a roll-up table (report_intervals as of 2026-12-06T0601). */
function sumsTable(db: Kysely<any>, name: string, withZone: boolean): CreateTableBuilder<string, string> {
  let t: CreateTableBuilder<string, string> = db.schema
    .createTable(name)
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('dimension', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull());
  if (withZone) t = t.addColumn('time_zone', 'text', (c) => c.notNull());
  t = t.addColumn('interval_start', 'timestamptz', (c) => c.notNull());
  for (const column of COLUMNS) t = t.addColumn(column, column.endsWith('_sum') ? 'double precision' : 'integer', (c) => c.notNull().defaultTo(0));
  return t.addColumn('answered_within', sql`integer[]`, (c) => c.notNull());
}

const sums = sql.raw([...COLUMNS.map((c) => `sum(${c})`), `ARRAY[${Array.from({ length: BUCKETS }, (_, i) => `sum(answered_within[${i + 1}])::int`).join(', ')}]`].join(', '));
const columns = sql.raw([...COLUMNS, 'answered_within'].join(', '));

/**
 * Roll-ups of the 15-minute report rows, so that a report over months reads few rows:
 * `report_hours` (UTC hours) and `report_days` (local days of each zone in
 * `report_time_zones`, UTC from the start), written by the folder in the transaction that
 * writes the 15-minute rows (src/reports/roll-up.ts). Both are filled here from the
 * 15-minute rows an install already has, so an upgraded install reports the same.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('report_time_zones').addColumn('time_zone', 'text', (c) => c.primaryKey()).execute();
  await sql`INSERT INTO report_time_zones (time_zone) VALUES ('UTC')`.execute(db);

  await sumsTable(db, 'report_hours', false).addPrimaryKeyConstraint('report_hours_pk', ['tenant', 'dimension', 'key', 'interval_start']).execute();
  await db.schema.createIndex('report_hours_time').on('report_hours').columns(['tenant', 'dimension', 'interval_start']).execute();
  await sumsTable(db, 'report_days', true).addPrimaryKeyConstraint('report_days_pk', ['tenant', 'dimension', 'time_zone', 'key', 'interval_start']).execute();
  await db.schema.createIndex('report_days_time').on('report_days').columns(['tenant', 'dimension', 'time_zone', 'interval_start']).execute();

  await sql`
    INSERT INTO report_hours (tenant, dimension, key, interval_start, ${columns})
    SELECT tenant, dimension, key, date_bin('1 hour', interval_start, timestamptz '2000-01-01T00:00:00Z'), ${sums}
    FROM report_intervals GROUP BY 1, 2, 3, 4`.execute(db);
  await sql`
    INSERT INTO report_days (tenant, dimension, key, time_zone, interval_start, ${columns})
    SELECT tenant, dimension, key, 'UTC', date_trunc('day', interval_start AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', ${sums}
    FROM report_intervals GROUP BY 1, 2, 3, 4, 5`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('report_days').execute();
  await db.schema.dropTable('report_hours').execute();
  await db.schema.dropTable('report_time_zones').execute();
}
