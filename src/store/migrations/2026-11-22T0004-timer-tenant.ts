import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * A timer is one actor's, and agent ids are only unique within a tenant: the tenant is
 * part of a timer's identity, so two tenants' agents of the same id never share a timer.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('timers').dropConstraint('timers_actor_name').execute();
  await db.schema.alterTable('timers').addUniqueConstraint('timers_actor_name', ['tenant', 'actor_kind', 'actor_id', 'name']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('timers').dropConstraint('timers_actor_name').execute();
  await db.schema.alterTable('timers').addUniqueConstraint('timers_actor_name', ['actor_kind', 'actor_id', 'name']).execute();
}
