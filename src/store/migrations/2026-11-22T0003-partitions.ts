import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * Partitioned actors. Each actor row, timer and outbox row records its partition (filled
 * in by the router at start for rows written before this migration, see
 * `ensurePartitioning`). `partition_epochs` is the fencing table: a node writes a
 * partition's actors only while the epoch here is the one its lease gave it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const table of ['conversations', 'agents', 'timers', 'outbox']) {
    await db.schema.alterTable(table).addColumn('partition', 'integer').execute();
  }
  await db.schema.createIndex('timers_partition_due').on('timers').columns(['partition', 'due_at']).execute();
  await db.schema.createIndex('outbox_partition').on('outbox').columns(['partition', 'id']).execute();
  // Events for one actor are consumed in order: "is an earlier one still pending?"
  await db.schema.createIndex('outbox_target').on('outbox').columns(['target_kind', 'tenant', 'target_id', 'id']).execute();
  await db.schema.createIndex('agents_partition').on('agents').column('partition').execute();
  await db.schema
    .createTable('partition_epochs')
    .addColumn('partition', 'integer', (c) => c.primaryKey())
    .addColumn('epoch', 'bigint', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('claimed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('cluster_settings')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('cluster_settings').execute();
  await db.schema.dropTable('partition_epochs').execute();
  await db.schema.dropIndex('agents_partition').execute();
  await db.schema.dropIndex('outbox_target').execute();
  await db.schema.dropIndex('outbox_partition').execute();
  await db.schema.dropIndex('timers_partition_due').execute();
  for (const table of ['conversations', 'agents', 'timers', 'outbox']) {
    await db.schema.alterTable(table).dropColumn('partition').execute();
  }
}
