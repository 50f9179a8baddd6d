import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * Who opened a conversation: `customer` (they wrote first, or replied to a campaign or a
 * notification) or `agent` (`POST /v1/conversations`). The interactions view showed
 * agent-started conversations as `inbound`; the conversation now says so when it is
 * created. Existing rows are backfilled from what an agent start leaves behind: its first
 * assignment is `agent-started` with no customer message before it, or it was refused
 * before it began (`notStarted`).
 */
export async function up(db: Kysely<any>): Promise<void> {
  // A constant default: no table rewrite.
  await sql`ALTER TABLE conversations ADD COLUMN started_by text NOT NULL DEFAULT 'customer' CHECK (started_by IN ('customer', 'agent'))`.execute(db);
  await sql`
    UPDATE conversations c SET started_by = 'agent'
    FROM (
      SELECT DISTINCT ON (a.conversation_id) a.tenant, a.conversation_id, a.offered_at, a.reason
      FROM assignments a ORDER BY a.conversation_id, a.offered_at
    ) first
    WHERE first.conversation_id = c.id AND first.tenant = c.tenant
      AND first.reason->>'method' = 'agent-started'
      AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'inbound' AND m.sent_at < first.offered_at)`.execute(db);
  await sql`UPDATE conversations SET started_by = 'agent' WHERE snapshot->'context'->>'closeReason' = 'notStarted'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE conversations DROP COLUMN started_by`.execute(db);
}
