import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * Reports read 15-minute interval aggregates, never raw rows. The facts come from the
 * committed rows themselves: triggers on `conversations` and `assignments` append one
 * `report_events` row per fact in the transaction that commits it (an insert: no row is
 * contended), and a folder (`src/reports/fold-events.ts`) moves them into
 * `report_intervals` in batches, deleting what it folded in the same transaction.
 *
 * The event time is `statement_timestamp()`, or the row's own time where it has one
 * (`offered_at`, `ended_at`). `parley.report_clock`, when a transaction sets it, stands in
 * for the statement time: how a generated history is stamped.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('report_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('queue', 'text')
    .addColumn('agent_id', 'text')
    .addColumn('wrap_up_code', 'text')
    .addColumn('seconds', 'double precision')
    .execute();

  // When each waiting conversation entered its queue: the start of its wait.
  await db.schema
    .createTable('report_waits')
    .addColumn('conversation_id', 'uuid', (c) => c.primaryKey())
    .addColumn('queue', 'text', (c) => c.notNull())
    .addColumn('since', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('report_intervals')
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('dimension', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('interval_start', 'timestamptz', (c) => c.notNull())
    .addColumn('offered', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('answered', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('abandoned', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('flowed_out', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('transferred', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('answer_wait_sum', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('abandon_wait_sum', 'double precision', (c) => c.notNull().defaultTo(0))
    // answered_within[i]: answered after a wait of at most the i-th wait bound (src/reports/wait-buckets.ts).
    .addColumn('answered_within', sql`integer[]`, (c) => c.notNull())
    .addColumn('handled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('handle_sum', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('offers', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('offers_rejected', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('offers_timed_out', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('report_intervals_pk', ['tenant', 'dimension', 'key', 'interval_start'])
    .execute();
  await db.schema.createIndex('report_intervals_time').on('report_intervals').columns(['tenant', 'dimension', 'interval_start']).execute();

  await sql`
    CREATE FUNCTION report_clock() RETURNS timestamptz
    LANGUAGE sql STABLE AS $$
      SELECT coalesce(nullif(current_setting('parley.report_clock', true), '')::timestamptz, statement_timestamp())
    $$`.execute(db);

  await sql`
    CREATE FUNCTION report_conversation_facts() RETURNS trigger
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
          VALUES (
            NEW.tenant,
            CASE WHEN NEW.state = 'connected' THEN 'answered' ELSE 'abandoned' END,
            now_at,
            coalesce(wait.queue, OLD.queue),
            CASE WHEN NEW.state = 'connected' THEN NEW.agent_id END,
            extract(epoch FROM now_at - coalesce(wait.since, now_at))
          );
      END IF;
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER report_conversation_facts AFTER INSERT OR UPDATE OF state, queue ON conversations
    FOR EACH ROW EXECUTE FUNCTION report_conversation_facts()`.execute(db);

  await sql`
    CREATE FUNCTION report_assignment_facts() RETURNS trigger
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
        INSERT INTO report_events (tenant, kind, at, queue, agent_id, wrap_up_code, seconds)
          VALUES (NEW.tenant, 'handled', coalesce(NEW.ended_at, report_clock()), NEW.queue, NEW.agent_id, NEW.wrap_up_code,
                  extract(epoch FROM coalesce(NEW.ended_at, report_clock()) - NEW.answered_at));
      END IF;
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER report_assignment_facts AFTER INSERT OR UPDATE OF state, wrap_up_code ON assignments
    FOR EACH ROW EXECUTE FUNCTION report_assignment_facts()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER report_assignment_facts ON assignments`.execute(db);
  await sql`DROP TRIGGER report_conversation_facts ON conversations`.execute(db);
  await sql`DROP FUNCTION report_assignment_facts(), report_conversation_facts(), report_clock()`.execute(db);
  await db.schema.dropTable('report_intervals').execute();
  await db.schema.dropTable('report_waits').execute();
  await db.schema.dropTable('report_events').execute();
}
