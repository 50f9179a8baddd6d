import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * Files agents upload from the desktop to send in a reply. A table of its own rather than
 * `web_attachments`: those are a web customer's own files (the widget lets a customer send
 * only theirs), these belong to a conversation on any channel and are fetched by providers
 * through an expiring signed link. Sizes are capped per channel type by the gateway.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('agent_attachments')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('filename', 'text')
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('data', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('agent_attachments_conversation').on('agent_attachments').columns(['tenant', 'conversation_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('agent_attachments').execute();
}
