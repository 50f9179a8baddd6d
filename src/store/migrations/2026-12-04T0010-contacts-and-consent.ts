import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * Contact lists, do-not-contact lists and the consent ledger (the first slice of campaigns).
 *
 * - A contact's `position` orders its list: imports append after `contact_lists.tail`, a
 *   contact added "at the top" takes `head - 1`. Both counters live on the list row so that
 *   concurrent writers serialize on it instead of racing for a position.
 * - `consent_events` is append-only: a trigger refuses UPDATE, DELETE and TRUNCATE, so an
 *   audit can trust that nothing was rewritten. `consent_states` is the current state per
 *   (tenant, address), maintained in the same statement as each event.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('contact_lists')
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('default_country', 'text')
    .addColumn('columns', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('head', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('tail', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('contact_lists_pkey', ['tenant', 'id'])
    .addCheckConstraint('contact_lists_country', sql`default_country ~ '^[A-Z]{2}$'`)
    .execute();

  await db.schema
    .createTable('contacts')
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('list_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull().defaultTo(sql`gen_random_uuid()::text`))
    .addColumn('position', 'bigint', (c) => c.notNull())
    .addColumn('phone', 'text')
    .addColumn('email', 'text')
    .addColumn('time_zone', 'text')
    .addColumn('columns', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('outcome', 'text')
    .addColumn('outcome_reason', 'text')
    .addColumn('outcome_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('contacts_pkey', ['tenant', 'list_id', 'contact_id'])
    .addForeignKeyConstraint('contacts_list', ['tenant', 'list_id'], 'contact_lists', ['tenant', 'id'], (fk) => fk.onDelete('cascade'))
    .addUniqueConstraint('contacts_position', ['tenant', 'list_id', 'position'])
    // One contact per phone and per e-mail in a list: a second one is a duplicate.
    .addUniqueConstraint('contacts_phone', ['tenant', 'list_id', 'phone'])
    .addUniqueConstraint('contacts_email', ['tenant', 'list_id', 'email'])
    .addCheckConstraint('contacts_reachable', sql`phone IS NOT NULL OR email IS NOT NULL`)
    .execute();

  await db.schema
    .createTable('dnc_lists')
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    // null: the list applies to every channel kind.
    .addColumn('channel_kind', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('dnc_lists_pkey', ['tenant', 'id'])
    .execute();

  await db.schema
    .createTable('dnc_entries')
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('list_id', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('added_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('dnc_entries_pkey', ['tenant', 'list_id', 'address'])
    .addForeignKeyConstraint('dnc_entries_list', ['tenant', 'list_id'], 'dnc_lists', ['tenant', 'id'], (fk) => fk.onDelete('cascade'))
    .execute();
  // The send-time check looks an address up across all of a tenant's lists.
  await db.schema.createIndex('dnc_entries_address').on('dnc_entries').columns(['tenant', 'address']).execute();

  await db.schema
    .createTable('consent_events')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state IN ('opted-out', 'opted-in')`))
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('method', 'text', (c) => c.notNull().check(sql`method IN ('keyword', 'api', 'agent', 'import')`))
    .addColumn('keyword', 'text')
    .addColumn('channel', 'text')
    .addColumn('channel_kind', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('consent_events_address').on('consent_events').columns(['tenant', 'address', 'id']).execute();
  await db.schema.createIndex('consent_events_tenant').on('consent_events').columns(['tenant', 'id']).execute();
  await sql`CREATE FUNCTION parley_refuse_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'consent_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$`.execute(db);
  await sql`CREATE TRIGGER consent_events_append_only BEFORE UPDATE OR DELETE ON consent_events
    FOR EACH ROW EXECUTE FUNCTION parley_refuse_ledger_change()`.execute(db);
  await sql`CREATE TRIGGER consent_events_no_truncate BEFORE TRUNCATE ON consent_events
    FOR EACH STATEMENT EXECUTE FUNCTION parley_refuse_ledger_change()`.execute(db);

  await db.schema
    .createTable('consent_states')
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state IN ('opted-out', 'opted-in')`))
    .addColumn('changed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('event_id', 'bigint', (c) => c.notNull().references('consent_events.id'))
    .addPrimaryKeyConstraint('consent_states_pkey', ['tenant', 'address'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('consent_states').execute();
  await db.schema.dropTable('consent_events').execute();
  await sql`DROP FUNCTION parley_refuse_ledger_change()`.execute(db);
  await db.schema.dropTable('dnc_entries').execute();
  await db.schema.dropTable('dnc_lists').execute();
  await db.schema.dropTable('contacts').execute();
  await db.schema.dropTable('contact_lists').execute();
}
