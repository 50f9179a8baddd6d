import type { Readable } from 'node:stream';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/index.ts';
import { csvStream } from './csv-stream.ts';

type Db = Kysely<Database> | Transaction<Database>;

export const ConsentLedgerColumns = ['id', 'address', 'state', 'occurred_at', 'recorded_at', 'method', 'keyword', 'channel', 'channel_kind', 'source'] as const;

export interface ConsentExportOptions {
  /** Events that occurred at or after. @default the beginning */
  from?: Date;
  /** Events that occurred before. @default no end */
  to?: Date;
  /** Rows read per query. @default 5000 */
  pageSize?: number;
}

/** A tenant's consent ledger as CSV, oldest event first, streamed page by page (for audits). */
export function exportConsentLedger(db: Db, tenant: string, options: ConsentExportOptions = {}): Readable {
  const pageSize = options.pageSize ?? 5000;
  async function* rows(): AsyncGenerator<readonly (string | null)[]> {
    yield ConsentLedgerColumns;
    let after: string | undefined;
    for (;;) {
      let query = db.selectFrom('consent_events').selectAll().where('tenant', '=', tenant);
      if (after !== undefined) query = query.where('id', '>', after);
      if (options.from) query = query.where('occurred_at', '>=', options.from);
      if (options.to) query = query.where('occurred_at', '<', options.to);
      const page = await query.orderBy('id').limit(pageSize).execute();
      for (const e of page) {
        yield [String(e.id), e.address, e.state, e.occurred_at.toISOString(), e.recorded_at.toISOString(), e.method, e.keyword, e.channel, e.channel_kind, e.source];
      }
      if (page.length < pageSize) return;
      after = String(page.at(-1)!.id);
    }
  }
  return csvStream(rows);
}
