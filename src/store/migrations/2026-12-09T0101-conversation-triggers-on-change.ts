import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * The report and journey triggers of `conversations` run on an update only when it
 * changes what they record. `UPDATE OF state, queue` fires whenever the statement sets
 * those columns, and every snapshot write sets them: a follow-up message, an agent's
 * reply, a note, an offer made or timed out ran both trigger functions (and read the
 * snapshot's skills) to do nothing. Both functions act on a change of queue, or of state
 * other than between the two waiting states (`queued`, `offered`); the WHEN clause says
 * exactly that, so no report changes. A WHEN clause cannot name OLD on INSERT: each
 * trigger is split in an insert trigger and an update trigger, named so that they fire
 * in the same order as before (alphabetically: the journey first). A change to either
 * function that records more must widen this clause.
 */
const triggers = [
  { name: 'conversation_journey_step', fn: 'conversation_journey_step' },
  { name: 'report_conversation_facts', fn: 'report_conversation_facts' },
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const { name, fn } of triggers) {
    await sql`DROP TRIGGER ${sql.raw(name)} ON conversations`.execute(db);
    await sql`CREATE TRIGGER ${sql.raw(`${name}_insert`)} AFTER INSERT ON conversations FOR EACH ROW EXECUTE FUNCTION ${sql.raw(fn)}()`.execute(db);
    await sql`
      CREATE TRIGGER ${sql.raw(`${name}_update`)} AFTER UPDATE OF state, queue ON conversations
      FOR EACH ROW WHEN (OLD.queue IS DISTINCT FROM NEW.queue
        OR (OLD.state IS DISTINCT FROM NEW.state AND NOT (OLD.state IN ('queued', 'offered') AND NEW.state IN ('queued', 'offered'))))
      EXECUTE FUNCTION ${sql.raw(fn)}()`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const { name, fn } of triggers) {
    await sql`DROP TRIGGER ${sql.raw(`${name}_insert`)} ON conversations`.execute(db);
    await sql`DROP TRIGGER ${sql.raw(`${name}_update`)} ON conversations`.execute(db);
    await sql`CREATE TRIGGER ${sql.raw(name)} AFTER INSERT OR UPDATE OF state, queue ON conversations FOR EACH ROW EXECUTE FUNCTION ${sql.raw(fn)}()`.execute(db);
  }
}
