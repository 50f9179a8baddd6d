import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('customers')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('identities')
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'uuid', (c) => c.notNull().references('customers.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('identities_pk', ['tenant', 'kind', 'channel', 'value'])
    .execute();
  await db.schema.createIndex('identities_customer').on('identities').column('customer_id').execute();

  await db.schema
    .createTable('conversations')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'uuid', (c) => c.notNull().references('customers.id'))
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('queue', 'text')
    .addColumn('agent_id', 'text')
    .addColumn('last_message_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('closed_at', 'timestamptz')
    .addColumn('snapshot', 'jsonb', (c) => c.notNull())
    .execute();
  // At most one open conversation per customer identity and channel: the threading key.
  await db.schema
    .createIndex('conversations_open_key')
    .on('conversations')
    .columns(['tenant', 'channel', 'external_id'])
    .unique()
    .where(sql.ref('state'), '<>', 'closed')
    .execute();
  await db.schema.createIndex('conversations_customer').on('conversations').columns(['customer_id', 'created_at']).execute();
  await db.schema.createIndex('conversations_state').on('conversations').columns(['tenant', 'state']).execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'uuid', (c) => c.notNull().references('conversations.id'))
    .addColumn('customer_id', 'uuid', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('platform_message_id', 'text')
    .addColumn('agent_id', 'text')
    .addColumn('text', 'text')
    .addColumn('attachments', 'jsonb')
    .addColumn('content', 'jsonb')
    .addColumn('sent_at', 'timestamptz', (c) => c.notNull())
    .addColumn('delivery_status', 'text')
    .addColumn('delivery_reason', 'text')
    .addColumn('delivery_updated_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('messages_platform_id')
    .on('messages')
    .columns(['tenant', 'channel', 'platform_message_id'])
    .unique()
    .where(sql.ref('platform_message_id'), 'is not', null)
    .execute();
  await db.schema.createIndex('messages_customer').on('messages').columns(['customer_id', 'sent_at']).execute();
  await db.schema.createIndex('messages_conversation').on('messages').columns(['conversation_id', 'sent_at']).execute();

  await db.schema
    .createTable('agents')
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('presence', 'text', (c) => c.notNull())
    .addColumn('snapshot', 'jsonb', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('agents_pk', ['tenant', 'id'])
    .execute();

  await db.schema
    .createTable('assignments')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'uuid', (c) => c.notNull().references('conversations.id'))
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('queue', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('offered_at', 'timestamptz', (c) => c.notNull())
    .addColumn('answered_at', 'timestamptz')
    .addColumn('ended_at', 'timestamptz')
    .addColumn('reason', 'jsonb', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('assignments_conversation').on('assignments').column('conversation_id').execute();
  await db.schema.createIndex('assignments_agent').on('assignments').columns(['tenant', 'agent_id', 'state']).execute();

  await db.schema
    .createTable('timers')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('actor_kind', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('event', 'jsonb', (c) => c.notNull())
    .addUniqueConstraint('timers_actor_name', ['actor_kind', 'actor_id', 'name'])
    .execute();
  await db.schema.createIndex('timers_due').on('timers').column('due_at').execute();

  await db.schema
    .createTable('outbox')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('target_kind', 'text')
    .addColumn('target_id', 'text')
    .addColumn('subject', 'text')
    .addColumn('msg_id', 'text')
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['outbox', 'timers', 'assignments', 'agents', 'messages', 'conversations', 'identities', 'customers']) {
    await db.schema.dropTable(table).execute();
  }
}
