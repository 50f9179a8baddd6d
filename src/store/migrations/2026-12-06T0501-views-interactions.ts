import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * The supervisor's interactions view (docs/desktop.md):
 *
 * - `conversation_journey`: every queue movement of a conversation (entered a queue — on
 *   arrival, by a transfer or an overflow —, answered, abandoned, parked, closed), appended by a
 *   trigger in the transaction that commits the move, like the reports' facts; but kept, for
 *   the conversation's timeline. The conversation row itself only knows where it is now.
 * - indexes for the view's filters: time, queue, channel, agent, wrap-up code, and the
 *   outbound rows (notifications, campaign attempts) joined by conversation.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('conversation_journey')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'uuid', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    // queued | answered | abandoned | parked | closed
    .addColumn('kind', 'text', (c) => c.notNull())
    // queued: arrival | transfer | overflow (why it entered the queue)
    .addColumn('cause', 'text')
    .addColumn('queue', 'text')
    .addColumn('from_queue', 'text')
    .addColumn('agent_id', 'text')
    .execute();
  await db.schema.createIndex('conversation_journey_conversation').on('conversation_journey').columns(['tenant', 'conversation_id', 'id']).execute();

  await sql`
    CREATE FUNCTION conversation_journey_step() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
      was_waiting boolean := TG_OP = 'UPDATE' AND OLD.state IN ('queued', 'offered');
      is_waiting boolean := NEW.state IN ('queued', 'offered');
      now_at timestamptz := report_clock();
    BEGIN
      IF is_waiting AND (NOT was_waiting OR OLD.queue IS DISTINCT FROM NEW.queue OR OLD.state = 'connected') THEN
        INSERT INTO conversation_journey (tenant, conversation_id, at, kind, cause, queue, from_queue, agent_id)
          VALUES (NEW.tenant, NEW.id, now_at, 'queued',
                  CASE WHEN was_waiting THEN 'overflow' WHEN TG_OP = 'UPDATE' AND OLD.state = 'connected' THEN 'transfer' ELSE 'arrival' END,
                  NEW.queue, CASE WHEN TG_OP = 'UPDATE' THEN OLD.queue END, CASE WHEN TG_OP = 'UPDATE' THEN OLD.agent_id END);
      ELSIF TG_OP = 'UPDATE' AND OLD.state IS DISTINCT FROM NEW.state AND NEW.state IN ('connected', 'parked', 'closed') THEN
        INSERT INTO conversation_journey (tenant, conversation_id, at, kind, queue, agent_id)
          VALUES (NEW.tenant, NEW.id, now_at,
                  CASE WHEN NEW.state = 'connected' THEN 'answered' WHEN was_waiting AND NEW.state = 'closed' THEN 'abandoned' WHEN NEW.state = 'parked' THEN 'parked' ELSE 'closed' END,
                  NEW.queue, coalesce(NEW.agent_id, OLD.agent_id));
      END IF;
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER conversation_journey_step AFTER INSERT OR UPDATE OF state, queue ON conversations
    FOR EACH ROW EXECUTE FUNCTION conversation_journey_step()`.execute(db);

  // Newest first, page after page (keyset on created_at, id), narrowed by queue or channel.
  await db.schema.createIndex('conversations_tenant_time').on('conversations').columns(['tenant', 'created_at', 'id']).execute();
  await db.schema.createIndex('conversations_tenant_queue_time').on('conversations').columns(['tenant', 'queue', 'created_at']).execute();
  await db.schema.createIndex('conversations_tenant_channel_time').on('conversations').columns(['tenant', 'channel', 'created_at']).execute();
  await db.schema.createIndex('assignments_tenant_agent_time').on('assignments').columns(['tenant', 'agent_id', 'offered_at']).execute();
  await sql`CREATE INDEX assignments_wrap_up ON assignments (tenant, wrap_up_code) WHERE wrap_up_code IS NOT NULL`.execute(db);
  await db.schema.createIndex('notifications_conversation').on('notifications').columns(['tenant', 'conversation_id']).execute();
  await db.schema.createIndex('campaign_attempts_conversation').on('campaign_attempts').columns(['tenant', 'conversation_id']).execute();
  await db.schema.createIndex('campaign_attempts_time').on('campaign_attempts').columns(['tenant', 'attempted_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of [
    'campaign_attempts_time',
    'campaign_attempts_conversation',
    'notifications_conversation',
    'assignments_wrap_up',
    'assignments_tenant_agent_time',
    'conversations_tenant_channel_time',
    'conversations_tenant_queue_time',
    'conversations_tenant_time',
  ]) {
    await db.schema.dropIndex(index).execute();
  }
  await sql`DROP TRIGGER conversation_journey_step ON conversations`.execute(db);
  await sql`DROP FUNCTION conversation_journey_step()`.execute(db);
  await db.schema.dropTable('conversation_journey').execute();
}
