import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * Campaigns at run time.
 *
 * - `campaign_runs`: one row per Campaign resource — the actor's XState snapshot, where
 *   the sweep of the list has got to (`cursor` / `low_water` positions), the desired state
 *   set from the API or the resource, and the single-writer lease: `owner`, `epoch`
 *   (fencing: bumped on every claim, checked with `FOR UPDATE` in the transaction of every
 *   attempt write) and `lease_until`.
 * - `campaign_attempts`: one row per (campaign, contact), written before the message is
 *   published (`status = 'sending'`), with the message id (`Nats-Msg-Id`), the
 *   conversation id a reply joins, and what the provider answered.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('campaign_runs')
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state IN ('scheduled', 'running', 'paused', 'completed', 'stopped')`))
    .addColumn('snapshot', 'jsonb', (c) => c.notNull())
    .addColumn('list_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('cursor', 'bigint')
    .addColumn('low_water', 'bigint')
    .addColumn('owner', 'text')
    .addColumn('epoch', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('lease_until', 'timestamptz')
    .addColumn('ready', 'jsonb')
    // The resource's spec.paused as last applied: a change of it pauses or resumes, and the API may switch in between.
    .addColumn('spec_paused', 'boolean')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('campaign_runs_pkey', ['tenant', 'name'])
    .execute();

  await db.schema
    .createTable('campaign_attempts')
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('campaign', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('list_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'uuid', (c) => c.notNull())
    .addColumn('conversation_id', 'uuid', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('address', 'text')
    .addColumn(
      'status',
      'text',
      (c) => c.notNull().check(sql`status IN ('waiting', 'sending', 'published', 'sent', 'delivered', 'failed', 'skipped')`),
    )
    .addColumn('reason', 'text')
    .addColumn('due_at', 'timestamptz')
    .addColumn('epoch', 'bigint', (c) => c.notNull())
    .addColumn('attempted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('published_at', 'timestamptz')
    .addColumn('provider_status', 'text')
    .addColumn('provider_at', 'timestamptz')
    .addColumn('platform_message_id', 'text')
    .addColumn('final_status', 'text')
    .addColumn('final_at', 'timestamptz')
    .addPrimaryKeyConstraint('campaign_attempts_pkey', ['tenant', 'campaign', 'contact_id'])
    .addUniqueConstraint('campaign_attempts_message', ['message_id'])
    .execute();
  await db.schema.createIndex('campaign_attempts_status').on('campaign_attempts').columns(['tenant', 'campaign', 'status', 'due_at']).execute();
  // The reply lookup: the latest attempt to an address on a channel.
  await db.schema.createIndex('campaign_attempts_address').on('campaign_attempts').columns(['tenant', 'channel', 'address', 'attempted_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('campaign_attempts').execute();
  await db.schema.dropTable('campaign_runs').execute();
}
