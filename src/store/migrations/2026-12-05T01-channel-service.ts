import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * The channels role's own state (src/channel-service):
 * - `channel_sent_messages`: what was sent through a provider, so that its statuses (which
 *   name the provider's id) and watermarks become receipts naming Parley's id, and so that
 *   a redelivered outbound message knows an attempt already started (at most one re-send).
 * - `channel_customers`: per customer of a channel, the last inbound time (windows), the
 *   replies sent since (X), and the latest unused LINE reply token.
 * - `channel_pacing`: one GCRA token bucket per provider account or number, shared by every
 *   channels process (the theoretical arrival time of the next send).
 * - `channel_reached`: recipients a WhatsApp account reached outside a window (messaging limit).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('channel_sent_messages')
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('message_id', 'uuid', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('provider_message_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('attempt_started_at', 'timestamptz')
    .addColumn('sent_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('channel_sent_messages_pk', ['tenant', 'message_id'])
    .execute();
  await db.schema
    .createIndex('channel_sent_messages_provider_id')
    .on('channel_sent_messages')
    .columns(['tenant', 'channel', 'provider_message_id'])
    .where(sql.ref('provider_message_id'), 'is not', null)
    .execute();
  await db.schema.createIndex('channel_sent_messages_customer').on('channel_sent_messages').columns(['tenant', 'channel', 'customer_id', 'sent_at']).execute();

  await db.schema
    .createTable('channel_customers')
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('last_inbound_at', 'timestamptz')
    .addColumn('replies_since_inbound', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('reply_token', 'text')
    .addColumn('reply_token_at', 'timestamptz')
    .addPrimaryKeyConstraint('channel_customers_pk', ['tenant', 'channel', 'customer_id'])
    .execute();

  await db.schema
    .createTable('channel_pacing')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('tat', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('channel_reached')
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('reached_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('channel_reached_pk', ['account', 'recipient'])
    .execute();
  await db.schema.createIndex('channel_reached_time').on('channel_reached').columns(['account', 'reached_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['channel_reached', 'channel_pacing', 'channel_customers', 'channel_sent_messages']) await db.schema.dropTable(table).execute();
}
