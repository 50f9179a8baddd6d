import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * Campaign attempts counted per (campaign, status, reason) as they change, so that a
 * campaign's progress and results read a few counter rows rather than its million
 * attempts. Statement triggers on `campaign_attempts` append the net change of each
 * statement to `campaign_count_deltas` (an insert: no counter row is contended by the
 * runner's batches); the report folder adds them into `campaign_counts`
 * (src/campaigns/attempt-counts.ts); a reader adds the counters and the deltas not folded
 * yet, so it is exact at once. A NULL reason is kept as ''. Contact lists' sizes are kept
 * the same way (`contact_list_sizes`).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('campaign_counts')
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('campaign', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('attempts', 'bigint', (c) => c.notNull())
    .addColumn('replied', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('campaign_counts_pk', ['tenant', 'campaign', 'status', 'reason'])
    .execute();
  await db.schema
    .createTable('campaign_count_deltas')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('campaign', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('attempts', 'bigint', (c) => c.notNull())
    .addColumn('replied', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('campaign_count_deltas_campaign').on('campaign_count_deltas').columns(['tenant', 'campaign']).execute();

  // One function for the three triggers: PL/pgSQL plans a statement when it first runs, so
  // the branch of another operation never touches a transition table this one lacks.
  await sql`
    CREATE FUNCTION campaign_count_changes() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO campaign_count_deltas (tenant, campaign, status, reason, attempts, replied)
        SELECT tenant, campaign, status, coalesce(reason, ''), count(*), count(replied_at) FROM new_rows GROUP BY 1, 2, 3, 4;
      ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO campaign_count_deltas (tenant, campaign, status, reason, attempts, replied)
        SELECT tenant, campaign, status, reason, sum(n), sum(r) FROM (
          SELECT tenant, campaign, status, coalesce(reason, '') AS reason, 1 AS n, (replied_at IS NOT NULL)::int AS r FROM new_rows
          UNION ALL
          SELECT tenant, campaign, status, coalesce(reason, ''), -1, -(replied_at IS NOT NULL)::int FROM old_rows
        ) AS c GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0 OR sum(r) <> 0;
      ELSE
        INSERT INTO campaign_count_deltas (tenant, campaign, status, reason, attempts, replied)
        SELECT tenant, campaign, status, coalesce(reason, ''), -count(*), -count(replied_at) FROM old_rows GROUP BY 1, 2, 3, 4;
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER campaign_counts_insert AFTER INSERT ON campaign_attempts REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION campaign_count_changes()`.execute(db);
  await sql`CREATE TRIGGER campaign_counts_update AFTER UPDATE ON campaign_attempts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION campaign_count_changes()`.execute(db);
  await sql`CREATE TRIGGER campaign_counts_delete AFTER DELETE ON campaign_attempts REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION campaign_count_changes()`.execute(db);

  // The same for the size of each contact list (a campaign's `contacts`).
  await db.schema
    .createTable('contact_list_sizes')
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('list_id', 'text', (c) => c.notNull())
    .addColumn('contacts', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('contact_list_sizes_pk', ['tenant', 'list_id'])
    .execute();
  await db.schema
    .createTable('contact_list_size_deltas')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('list_id', 'text', (c) => c.notNull())
    .addColumn('contacts', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('contact_list_size_deltas_list').on('contact_list_size_deltas').columns(['tenant', 'list_id']).execute();
  await sql`
    CREATE FUNCTION contact_list_size_changes() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO contact_list_size_deltas (tenant, list_id, contacts) SELECT tenant, list_id, count(*) FROM new_rows GROUP BY 1, 2;
      ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO contact_list_size_deltas (tenant, list_id, contacts)
        SELECT tenant, list_id, sum(n) FROM (SELECT tenant, list_id, 1 AS n FROM new_rows UNION ALL SELECT tenant, list_id, -1 FROM old_rows) AS c
        GROUP BY 1, 2 HAVING sum(n) <> 0;
      ELSE
        INSERT INTO contact_list_size_deltas (tenant, list_id, contacts) SELECT tenant, list_id, -count(*) FROM old_rows GROUP BY 1, 2;
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER contact_list_sizes_insert AFTER INSERT ON contacts REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION contact_list_size_changes()`.execute(db);
  await sql`CREATE TRIGGER contact_list_sizes_update AFTER UPDATE ON contacts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION contact_list_size_changes()`.execute(db);
  await sql`CREATE TRIGGER contact_list_sizes_delete AFTER DELETE ON contacts REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION contact_list_size_changes()`.execute(db);

  // The attempts and contacts an upgraded install already has.
  await sql`INSERT INTO contact_list_sizes (tenant, list_id, contacts) SELECT tenant, list_id, count(*) FROM contacts GROUP BY 1, 2`.execute(db);
  await sql`
    INSERT INTO campaign_counts (tenant, campaign, status, reason, attempts, replied)
    SELECT tenant, campaign, status, coalesce(reason, ''), count(*), count(replied_at) FROM campaign_attempts GROUP BY 1, 2, 3, 4`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const op of ['insert', 'update', 'delete']) await sql`DROP TRIGGER ${sql.raw(`contact_list_sizes_${op}`)} ON contacts`.execute(db);
  await sql`DROP FUNCTION contact_list_size_changes()`.execute(db);
  await db.schema.dropTable('contact_list_size_deltas').execute();
  await db.schema.dropTable('contact_list_sizes').execute();
  await sql`DROP TRIGGER campaign_counts_insert ON campaign_attempts`.execute(db);
  await sql`DROP TRIGGER campaign_counts_update ON campaign_attempts`.execute(db);
  await sql`DROP TRIGGER campaign_counts_delete ON campaign_attempts`.execute(db);
  await sql`DROP FUNCTION campaign_count_changes()`.execute(db);
  await db.schema.dropTable('campaign_count_deltas').execute();
  await db.schema.dropTable('campaign_counts').execute();
}
