import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * The Campaign actor joins the partition runtime, as conversations and agents did
 * (migration 2026-12-07T0300): it lives on the owner of its partition, held in memory
 * while active, and its row is written with a compare-and-set on `version`. The sending
 * batches run as that partition's work, fenced by its epoch, so the campaign's own
 * single-writer lease (`owner`, `epoch`, `lease_until`) goes.
 *
 * - `partition`: assigned by the first router to start on this schema (`ensurePartitioning`
 *   fills every row without one), and by the campaign service for new campaigns.
 * - The snapshot's context gains the actor's `id` (its name, as the runtime addresses
 *   actors) and `specPaused` (the resource's `spec.paused` as last applied, which the
 *   `spec_paused` column now mirrors).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('campaign_runs').addColumn('partition', 'integer').execute();
  await db.schema
    .alterTable('campaign_runs')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('campaign_runs').dropColumn('owner').execute();
  await db.schema.alterTable('campaign_runs').dropColumn('epoch').execute();
  await db.schema.alterTable('campaign_runs').dropColumn('lease_until').execute();
  await sql`
    UPDATE campaign_runs
       SET snapshot = jsonb_set(jsonb_set(snapshot, '{context,id}', to_jsonb(name)), '{context,specPaused}', coalesce(to_jsonb(spec_paused), 'null'::jsonb))`.execute(db);
  await sql`CREATE INDEX campaign_runs_partition ON campaign_runs (partition) WHERE state IN ('running', 'paused')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX campaign_runs_partition`.execute(db);
  await sql`UPDATE campaign_runs SET snapshot = snapshot #- '{context,id}' #- '{context,specPaused}'`.execute(db);
  await db.schema.alterTable('campaign_runs').addColumn('owner', 'text').execute();
  await db.schema
    .alterTable('campaign_runs')
    .addColumn('epoch', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('campaign_runs').addColumn('lease_until', 'timestamptz').execute();
  await db.schema.alterTable('campaign_runs').dropColumn('version').execute();
  await db.schema.alterTable('campaign_runs').dropColumn('partition').execute();
}
