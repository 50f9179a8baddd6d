import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * The agent desktop's own data (docs/desktop.md):
 *
 * - `canned_responses`: the response library, per tenant and optionally per queue
 *   (`queue` null = every queue of the tenant). `shortcut` is what agents type after `/`,
 *   unique per tenant and queue. `body` is a Liquid template (`{{ customer.name }}`).
 * - `conversation_notes`: notes an agent writes with a wrap-up (the close command carries
 *   the code only), kept beside the conversation for supervisors and later agents.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('canned_responses')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('queue', 'text')
    .addColumn('shortcut', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // NULLS NOT DISTINCT (PostgreSQL 15): one tenant-wide shortcut, not one per null.
  await sql`create unique index canned_responses_shortcut on canned_responses (tenant, queue, shortcut) nulls not distinct`.execute(db);

  await db.schema
    .createTable('conversation_notes')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'uuid', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('conversation_notes_conversation').on('conversation_notes').columns(['tenant', 'conversation_id', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('conversation_notes').execute();
  await db.schema.dropTable('canned_responses').execute();
}
