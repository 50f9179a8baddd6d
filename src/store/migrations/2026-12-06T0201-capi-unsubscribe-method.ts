import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * The consent ledger's `method` gains `unsubscribe`: an RFC 8058 one-click unsubscribe
 * from an e-mail, recorded as what it is rather than as a generic API call.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE consent_events DROP CONSTRAINT consent_events_method_check`.execute(db);
  await sql`ALTER TABLE consent_events ADD CONSTRAINT consent_events_method_check CHECK (method IN ('keyword', 'api', 'agent', 'import', 'unsubscribe'))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE consent_events DROP CONSTRAINT consent_events_method_check`.execute(db);
  await sql`ALTER TABLE consent_events ADD CONSTRAINT consent_events_method_check CHECK (method IN ('keyword', 'api', 'agent', 'import'))`.execute(db);
}
