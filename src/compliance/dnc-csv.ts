import { pipeline, type Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/index.ts';
import { normalizeAddress } from './address.ts';
import { csvStream } from './csv-stream.ts';
import { dncEntriesPage, requireDncList } from './dnc-lists.ts';
import { RejectedRows, type RejectedRow } from './rejected-rows.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface DncImportOptions {
  /** Recorded on each entry, for audits (the file name, the user). */
  source: string;
  /** For phone numbers written without a country code. @default none: such numbers are rejected */
  defaultCountry?: string | null;
  /** The column holding the address. @default the first of `address`, `phone`, `email` in the header */
  column?: string;
  /** Rows written per statement. @default 1000 */
  batchSize?: number;
  /** Rejected rows kept in the result (all are counted and passed to `onRejected`). @default 1000 */
  keepRejected?: number;
  onRejected?: (row: RejectedRow) => void;
}

export interface DncImportResult {
  added: number;
  /** Rows whose address was on the list already (or earlier in the file). */
  alreadyListed: number;
  rejectedCount: number;
  rejected: RejectedRow[];
}

/**
 * Loads a CSV file (with a header row) into a do-not-contact list, streamed, in batches.
 * A row whose address is not a phone or an e-mail is rejected with its line number; the
 * rest load. An optional `note` column is kept. Batches are written as they fill: pass a
 * transaction to make the whole file all-or-nothing.
 */
export async function importDncCsv(db: Db, tenant: string, listId: string, input: Readable, options: DncImportOptions): Promise<DncImportResult> {
  await requireDncList(db, tenant, listId);
  const batchSize = options.batchSize ?? 1000;
  const rejected = new RejectedRows(options.keepRejected ?? 1000, options.onRejected);
  const parser = parse({ columns: true, bom: true, trim: true, skip_empty_lines: true, info: true, relax_column_count: true });
  // pipeline: an upload that fails fails the parse, and a parse that stops releases the upload.
  pipeline(input, parser, () => undefined);
  let column: string | undefined;
  let batch: { address: string; note: string | null }[] = [];
  let added = 0;
  let rows = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const values = batch.map((b) => ({ tenant, list_id: listId, address: b.address, note: b.note, source: options.source }));
    batch = [];
    const result = await db.insertInto('dnc_entries').values(values).onConflict((oc) => oc.doNothing()).executeTakeFirst();
    added += Number(result.numInsertedOrUpdatedRows ?? 0n);
  };
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string | undefined>; info: { lines: number } }>) {
    column ??= pickColumn(record, options.column);
    rows++;
    const raw = record[column];
    const address = raw === undefined ? ({ ok: false, reason: `no ${column} column` } as const) : normalizeAddress(raw, options.defaultCountry);
    if (!address.ok) {
      rejected.add(info.lines, address.reason);
      continue;
    }
    batch.push({ address: address.value, note: record.note || null });
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return { added, alreadyListed: rows - rejected.count - added, rejectedCount: rejected.count, rejected: rejected.rows };
}

function pickColumn(record: Record<string, unknown>, wanted: string | undefined): string {
  const names = Object.keys(record);
  const column = wanted ?? ['address', 'phone', 'email'].find((n) => names.includes(n));
  if (!column || !names.includes(column)) {
    throw new RangeError(`the file has no ${wanted ? JSON.stringify(wanted) : 'address, phone or email'} column (header: ${names.join(', ')})`);
  }
  return column;
}

/** The columns of an exported do-not-contact list. */
export const DncExportColumns = ['address', 'note', 'source', 'added_at'] as const;

/** A do-not-contact list as CSV (`address,note,source,added_at`), streamed page by page. */
export function exportDncCsv(db: Db, tenant: string, listId: string, options: { pageSize?: number } = {}): Readable {
  const pageSize = options.pageSize ?? 5000;
  async function* rows(): AsyncGenerator<readonly (string | null)[]> {
    await requireDncList(db, tenant, listId);
    yield DncExportColumns;
    let after: string | undefined;
    for (;;) {
      const page = await dncEntriesPage(db, tenant, listId, { after, limit: pageSize });
      for (const e of page) yield [e.address, e.note, e.source, e.added_at.toISOString()];
      if (page.length < pageSize) return;
      after = page.at(-1)!.address;
    }
  }
  return csvStream(rows);
}
