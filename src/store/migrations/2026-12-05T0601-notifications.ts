import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * Agentless notifications and the OAuth clients that send them.
 *
 * - `oauth_clients`: one row per client; the secret is stored as an scrypt hash only (the
 *   status-callback signing key is kept as is: signing needs it). A
 *   revoked client keeps its row (who created and revoked it, for audits).
 * - `notification_categories`: the categories a tenant marks transactional (one-time
 *   passcodes, receipts), which bypass marketing suppression and quiet hours.
 * - `notifications`: every notification asked for, sent or refused, with its delivery
 *   status: the interactions data reports read. `(tenant, idempotency_key)` is unique so
 *   that a retried request finds the first one.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('oauth_clients')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    // The key that signs its status callbacks: kept as is, since signing needs it.
    .addColumn('callback_secret', 'text', (c) => c.notNull())
    .addColumn('scopes', sql`text[]`, (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_by', 'text')
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('oauth_clients_tenant').on('oauth_clients').columns(['tenant', 'created_at']).execute();

  await db.schema
    .createTable('notification_categories')
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('transactional', 'boolean', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('notification_categories_pkey', ['tenant', 'name'])
    .execute();

  await db.schema
    .createTable('notifications')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text')
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('channel_kind', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('transactional', 'boolean', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN ('accepted', 'refused', 'sent', 'delivered', 'read', 'failed')`))
    .addColumn('reason', 'text')
    .addColumn('message_id', 'uuid', (c) => c.notNull())
    .addColumn('conversation_id', 'uuid', (c) => c.notNull())
    .addColumn('template', 'text')
    .addColumn('text', 'text')
    .addColumn('callback_url', 'text')
    .addColumn('provider_message_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('status_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('callback_status', 'text')
    .addColumn('callback_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addUniqueConstraint('notifications_idempotency', ['tenant', 'idempotency_key'])
    .execute();
  // Receipts name the outbound message id.
  await db.schema.createIndex('notifications_message').on('notifications').column('message_id').unique().execute();
  // Reports read a tenant's notifications by time.
  await db.schema.createIndex('notifications_tenant_time').on('notifications').columns(['tenant', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('notifications').execute();
  await db.schema.dropTable('notification_categories').execute();
  await db.schema.dropTable('oauth_clients').execute();
}
