import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * When the contact first replied to a campaign message (within the campaign's reply
 * window), and the conversation the reply went to: campaign results count replies.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('campaign_attempts').addColumn('replied_at', 'timestamptz').addColumn('reply_conversation_id', 'uuid').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('campaign_attempts').dropColumn('replied_at').dropColumn('reply_conversation_id').execute();
}
