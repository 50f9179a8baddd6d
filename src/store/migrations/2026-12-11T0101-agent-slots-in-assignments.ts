import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * An agent's active conversations move from its snapshot (`context.active`) to its
 * assignments: the list grew the row with the agent's load (4.3 KB at 25 conversations),
 * and the row is written again at every step. The agent actor writes its assignment rows
 * in the same transaction as its snapshot, so they are as current as the list was.
 *
 * - `media_type`: the kind of slot the conversation takes (null for older offers, except
 *   those still active, filled here).
 * - `holds_slot`: the agent holds a slot for it, from its acceptance until it ends, or
 *   until `after_work_until` when it ended with after-conversation work.
 *
 * The lists are moved here: each active conversation's assignment is marked (or recorded,
 * for one accepted before assignments were kept), and the list leaves the snapshot.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('assignments').addColumn('media_type', 'text').execute();
  await db.schema
    .alterTable('assignments')
    .addColumn('holds_slot', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema.alterTable('assignments').addColumn('after_work_until', 'timestamptz').execute();
  await sql`
    WITH moving AS (
      SELECT a.tenant, a.id AS agent_id, (e->>'offerId')::uuid AS id, (e->>'conversationId')::uuid AS conversation_id,
             e->>'mediaType' AS media_type, (e->>'since')::timestamptz AS since, (e->>'afterWorkUntil')::timestamptz AS after_work_until
      FROM agents a, jsonb_array_elements(CASE WHEN jsonb_typeof(a.snapshot->'context'->'active') = 'array' THEN a.snapshot->'context'->'active' ELSE '[]' END) e),
    marked AS (
      UPDATE assignments s SET holds_slot = true, media_type = m.media_type, after_work_until = m.after_work_until, answered_at = coalesce(s.answered_at, m.since)
      FROM moving m WHERE s.id = m.id RETURNING s.id)
    INSERT INTO assignments (id, tenant, conversation_id, agent_id, queue, state, offered_at, answered_at, reason, media_type, holds_slot, after_work_until)
    SELECT m.id, m.tenant, m.conversation_id, m.agent_id, NULL, CASE WHEN m.after_work_until IS NULL THEN 'accepted' ELSE 'ended' END, m.since, m.since,
           '{"method":"unknown","candidates":0}'::jsonb, m.media_type, true, m.after_work_until
    FROM moving m
    WHERE m.id NOT IN (SELECT id FROM marked) AND EXISTS (SELECT 1 FROM conversations c WHERE c.id = m.conversation_id)`.execute(db);
  await sql`UPDATE agents SET snapshot = snapshot #- '{context,active}' WHERE snapshot->'context' ? 'active'`.execute(db);
  await sql`CREATE INDEX assignments_holding ON assignments (tenant, agent_id) WHERE holds_slot`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    UPDATE agents a SET snapshot = jsonb_set(a.snapshot, '{context,active}', coalesce((
      SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'conversationId', s.conversation_id, 'offerId', s.id, 'mediaType', s.media_type,
               'since', to_char(s.answered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               'afterWorkUntil', to_char(s.after_work_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
             ORDER BY s.answered_at, s.id)
      FROM assignments s WHERE s.tenant = a.tenant AND s.agent_id = a.id AND s.holds_slot), '[]'::jsonb))
    WHERE jsonb_typeof(a.snapshot->'context') = 'object'`.execute(db);
  await sql`DROP INDEX assignments_holding`.execute(db);
  await db.schema.alterTable('assignments').dropColumn('after_work_until').execute();
  await db.schema.alterTable('assignments').dropColumn('holds_slot').execute();
  await db.schema.alterTable('assignments').dropColumn('media_type').execute();
}
