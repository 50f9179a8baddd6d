import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * Skills performance and after-work time in the report aggregates.
 *
 * - Facts of a conversation's routing (offered, answered, abandoned, handled) carry the
 *   skills the conversation asked for itself (`snapshot.context.skills`); the folder adds
 *   its queue's skills and counts them under the `skill` dimension.
 * - After-conversation work ends when the agent actor consumes its `after-work:<conversation>`
 *   timer: deleting that row appends an `afterWork` fact, timed from the end of the
 *   assignment to that commit (the time the agent's slot really stayed busy).
 *
 * The two 0801 trigger functions are replaced by versions that only add `skills`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('report_events').addColumn('skills', sql`text[]`).execute();
  await db.schema
    .alterTable('report_intervals')
    .addColumn('after_work', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('after_work_sum', 'double precision', (c) => c.notNull().defaultTo(0))
    .execute();

  await sql`
    CREATE FUNCTION report_skills(snapshot jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE AS $$
      SELECT CASE WHEN jsonb_typeof(snapshot->'context'->'skills') = 'array'
                  THEN ARRAY(SELECT jsonb_array_elements_text(snapshot->'context'->'skills')) END
    $$`.execute(db);

  await sql`
    CREATE OR REPLACE FUNCTION report_conversation_facts() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
      was_waiting boolean := TG_OP = 'UPDATE' AND OLD.state IN ('queued', 'offered');
      is_waiting boolean := NEW.state IN ('queued', 'offered');
      now_at timestamptz := report_clock();
      skills text[] := report_skills(NEW.snapshot);
      wait record;
    BEGIN
      IF is_waiting AND (NOT was_waiting OR OLD.queue IS DISTINCT FROM NEW.queue) THEN
        IF was_waiting THEN
          DELETE FROM report_waits WHERE conversation_id = NEW.id RETURNING * INTO wait;
          INSERT INTO report_events (tenant, kind, at, queue, seconds)
            VALUES (NEW.tenant, 'flowedOut', now_at, OLD.queue, extract(epoch FROM now_at - coalesce(wait.since, now_at)));
        ELSIF TG_OP = 'UPDATE' AND OLD.state = 'connected' THEN
          INSERT INTO report_events (tenant, kind, at, queue, agent_id) VALUES (NEW.tenant, 'transferred', now_at, OLD.queue, OLD.agent_id);
        END IF;
        INSERT INTO report_events (tenant, kind, at, queue, skills) VALUES (NEW.tenant, 'offered', now_at, NEW.queue, skills);
        INSERT INTO report_waits (conversation_id, queue, since) VALUES (NEW.id, NEW.queue, now_at)
          ON CONFLICT (conversation_id) DO UPDATE SET queue = excluded.queue, since = excluded.since;
      ELSIF was_waiting AND NEW.state IN ('connected', 'closed') THEN
        DELETE FROM report_waits WHERE conversation_id = NEW.id RETURNING * INTO wait;
        INSERT INTO report_events (tenant, kind, at, queue, agent_id, seconds, skills)
          VALUES (
            NEW.tenant,
            CASE WHEN NEW.state = 'connected' THEN 'answered' ELSE 'abandoned' END,
            now_at,
            coalesce(wait.queue, OLD.queue),
            CASE WHEN NEW.state = 'connected' THEN NEW.agent_id END,
            extract(epoch FROM now_at - coalesce(wait.since, now_at)),
            skills
          );
      END IF;
      RETURN NULL;
    END
    $$`.execute(db);

  await sql`
    CREATE OR REPLACE FUNCTION report_assignment_facts() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO report_events (tenant, kind, at, queue, agent_id) VALUES (NEW.tenant, 'offer', NEW.offered_at, NEW.queue, NEW.agent_id);
      END IF;
      IF TG_OP = 'UPDATE' AND OLD.state = NEW.state THEN
        -- A wrap-up code written after the assignment ended still counts for its code.
        IF NEW.state = 'ended' AND NEW.answered_at IS NOT NULL AND OLD.wrap_up_code IS NULL AND NEW.wrap_up_code IS NOT NULL THEN
          INSERT INTO report_events (tenant, kind, at, queue, agent_id, wrap_up_code, seconds)
            VALUES (NEW.tenant, 'wrappedUp', NEW.ended_at, NEW.queue, NEW.agent_id, NEW.wrap_up_code, extract(epoch FROM NEW.ended_at - NEW.answered_at));
        END IF;
        RETURN NULL;
      END IF;
      IF NEW.state IN ('rejected', 'timeout') THEN
        INSERT INTO report_events (tenant, kind, at, queue, agent_id)
          VALUES (NEW.tenant, CASE WHEN NEW.state = 'rejected' THEN 'offerRejected' ELSE 'offerTimedOut' END, coalesce(NEW.ended_at, report_clock()), NEW.queue, NEW.agent_id);
      ELSIF NEW.state = 'ended' AND NEW.answered_at IS NOT NULL THEN
        INSERT INTO report_events (tenant, kind, at, queue, agent_id, wrap_up_code, seconds, skills)
          VALUES (NEW.tenant, 'handled', coalesce(NEW.ended_at, report_clock()), NEW.queue, NEW.agent_id, NEW.wrap_up_code,
                  extract(epoch FROM coalesce(NEW.ended_at, report_clock()) - NEW.answered_at),
                  (SELECT report_skills(c.snapshot) FROM conversations c WHERE c.id = NEW.conversation_id));
      END IF;
      RETURN NULL;
    END
    $$`.execute(db);

  await sql`
    CREATE FUNCTION report_after_work_facts() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
      now_at timestamptz := report_clock();
      conversation text := substr(OLD.name, length('after-work:') + 1);
      done record;
    BEGIN
      -- Never fail the agent's step over a name this trigger does not understand.
      IF conversation !~ '^[0-9a-fA-F-]{36}$' THEN
        RETURN NULL;
      END IF;
      SELECT a.queue, a.wrap_up_code, a.ended_at, report_skills(c.snapshot) AS skills INTO done
        FROM assignments a JOIN conversations c ON c.id = a.conversation_id
        WHERE a.conversation_id = conversation::uuid
          AND a.tenant = OLD.tenant AND a.agent_id = OLD.actor_id AND a.state = 'ended' AND a.answered_at IS NOT NULL
        ORDER BY a.ended_at DESC LIMIT 1;
      IF FOUND THEN
        INSERT INTO report_events (tenant, kind, at, queue, agent_id, wrap_up_code, seconds, skills)
          VALUES (OLD.tenant, 'afterWork', now_at, done.queue, OLD.actor_id, done.wrap_up_code, greatest(0, extract(epoch FROM now_at - done.ended_at)), done.skills);
      END IF;
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER report_after_work_facts AFTER DELETE ON timers
    FOR EACH ROW WHEN (OLD.actor_kind = 'agent' AND OLD.name LIKE 'after-work:%')
    EXECUTE FUNCTION report_after_work_facts()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER report_after_work_facts ON timers`.execute(db);
  await sql`DROP FUNCTION report_after_work_facts()`.execute(db);
  // The 0801 functions, minus skills: they read only what 0801 created.
  await sql`
    CREATE OR REPLACE FUNCTION report_conversation_facts() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
      was_waiting boolean := TG_OP = 'UPDATE' AND OLD.state IN ('queued', 'offered');
      is_waiting boolean := NEW.state IN ('queued', 'offered');
      now_at timestamptz := report_clock();
      wait record;
    BEGIN
      IF is_waiting AND (NOT was_waiting OR OLD.queue IS DISTINCT FROM NEW.queue) THEN
        IF was_waiting THEN
          DELETE FROM report_waits WHERE conversation_id = NEW.id RETURNING * INTO wait;
          INSERT INTO report_events (tenant, kind, at, queue, seconds)
            VALUES (NEW.tenant, 'flowedOut', now_at, OLD.queue, extract(epoch FROM now_at - coalesce(wait.since, now_at)));
        ELSIF TG_OP = 'UPDATE' AND OLD.state = 'connected' THEN
          INSERT INTO report_events (tenant, kind, at, queue, agent_id) VALUES (NEW.tenant, 'transferred', now_at, OLD.queue, OLD.agent_id);
        END IF;
        INSERT INTO report_events (tenant, kind, at, queue) VALUES (NEW.tenant, 'offered', now_at, NEW.queue);
        INSERT INTO report_waits (conversation_id, queue, since) VALUES (NEW.id, NEW.queue, now_at)
          ON CONFLICT (conversation_id) DO UPDATE SET queue = excluded.queue, since = excluded.since;
      ELSIF was_waiting AND NEW.state IN ('connected', 'closed') THEN
        DELETE FROM report_waits WHERE conversation_id = NEW.id RETURNING * INTO wait;
        INSERT INTO report_events (tenant, kind, at, queue, agent_id, seconds)
          VALUES (NEW.tenant, CASE WHEN NEW.state = 'connected' THEN 'answered' ELSE 'abandoned' END, now_at, coalesce(wait.queue, OLD.queue),
                  CASE WHEN NEW.state = 'connected' THEN NEW.agent_id END, extract(epoch FROM now_at - coalesce(wait.since, now_at)));
      END IF;
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`
    CREATE OR REPLACE FUNCTION report_assignment_facts() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO report_events (tenant, kind, at, queue, agent_id) VALUES (NEW.tenant, 'offer', NEW.offered_at, NEW.queue, NEW.agent_id);
      END IF;
      IF TG_OP = 'UPDATE' AND OLD.state = NEW.state THEN
        IF NEW.state = 'ended' AND NEW.answered_at IS NOT NULL AND OLD.wrap_up_code IS NULL AND NEW.wrap_up_code IS NOT NULL THEN
          INSERT INTO report_events (tenant, kind, at, queue, agent_id, wrap_up_code, seconds)
            VALUES (NEW.tenant, 'wrappedUp', NEW.ended_at, NEW.queue, NEW.agent_id, NEW.wrap_up_code, extract(epoch FROM NEW.ended_at - NEW.answered_at));
        END IF;
        RETURN NULL;
      END IF;
      IF NEW.state IN ('rejected', 'timeout') THEN
        INSERT INTO report_events (tenant, kind, at, queue, agent_id)
          VALUES (NEW.tenant, CASE WHEN NEW.state = 'rejected' THEN 'offerRejected' ELSE 'offerTimedOut' END, coalesce(NEW.ended_at, report_clock()), NEW.queue, NEW.agent_id);
      ELSIF NEW.state = 'ended' AND NEW.answered_at IS NOT NULL THEN
        INSERT INTO report_events (tenant, kind, at, queue, agent_id, wrap_up_code, seconds)
          VALUES (NEW.tenant, 'handled', coalesce(NEW.ended_at, report_clock()), NEW.queue, NEW.agent_id, NEW.wrap_up_code,
                  extract(epoch FROM coalesce(NEW.ended_at, report_clock()) - NEW.answered_at));
      END IF;
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`DROP FUNCTION report_skills(jsonb)`.execute(db);
  await db.schema.alterTable('report_intervals').dropColumn('after_work').dropColumn('after_work_sum').execute();
  await db.schema.alterTable('report_events').dropColumn('skills').execute();
}
