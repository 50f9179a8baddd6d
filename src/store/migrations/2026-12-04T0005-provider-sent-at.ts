import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * The provider's own time of an inbound message, as its envelope gave it. `sent_at` is the
 * time the message is filed under, which differs when the provider's clock is off by more
 * than the allowed skew.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('provider_sent_at', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('messages').dropColumn('provider_sent_at').execute();
}
