import type { Readable } from 'node:stream';
import type { Kysely, Transaction } from 'kysely';
import { csvStream } from '../compliance/index.ts';
import type { Database } from '../store/index.ts';
import { requireContactList } from './contact-lists.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** The fixed columns of an exported list; the list's own columns follow them. */
export const ContactExportColumns = ['id', 'phone', 'email', 'time_zone', 'outcome', 'outcome_reason', 'outcome_at'] as const;

/**
 * A contact list as CSV, in list order, with each contact's outcome, streamed page by page
 * (a million-contact list is never in memory).
 */
export function exportContactList(db: Db, tenant: string, listId: string, options: { pageSize?: number } = {}): Readable {
  const pageSize = options.pageSize ?? 5000;
  async function* rows(): AsyncGenerator<unknown[]> {
    const list = await requireContactList(db, tenant, listId);
    yield [...ContactExportColumns, ...list.columns];
    let after: string | undefined;
    for (;;) {
      let query = db.selectFrom('contacts').selectAll().where('tenant', '=', tenant).where('list_id', '=', listId);
      if (after !== undefined) query = query.where('position', '>', after);
      const page = await query.orderBy('position').limit(pageSize).execute();
      for (const c of page) {
        yield [c.contact_id, c.phone, c.email, c.time_zone, c.outcome, c.outcome_reason, c.outcome_at?.toISOString() ?? null, ...list.columns.map((name) => c.columns[name] ?? null)];
      }
      if (page.length < pageSize) return;
      after = String(page.at(-1)!.position);
    }
  }
  return csvStream(rows);
}
