import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * A version per actor row, raised by every write of its snapshot. The owning router keeps
 * active actors in memory and writes their snapshots without reading the rows first: the
 * write is a compare-and-set on the version it last wrote, so a row changed behind its
 * back (which fencing already rules out) fails the transaction instead of being
 * overwritten.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const table of ['conversations', 'agents']) {
    await db.schema.alterTable(table).addColumn('version', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['conversations', 'agents']) {
    await db.schema.alterTable(table).dropColumn('version').execute();
  }
}
