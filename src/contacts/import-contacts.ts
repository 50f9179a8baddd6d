import { Readable, pipeline } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { parse, type CsvError } from 'csv-parse';
import { stringify } from 'csv-stringify';
import { CompiledQuery, type Kysely } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { RejectedRows, type RejectedRow } from '../compliance/index.ts';
import type { Database } from '../store/index.ts';
import { resolveMapping, type ColumnMapping, type ResolvedMapping } from './column-mapping.ts';
import { checkContact } from './contact-fields.ts';
import { ContactListNotFoundError } from './errors.ts';

export interface ContactImportOptions {
  tenant: string;
  listId: string;
  /**
   * Where to load. A `pg.Pool` (PostgreSQL server) loads through `COPY FROM STDIN`; a
   * `Kysely` loads in multi-row INSERTs instead, for PGlite (the embedded engine of
   * `parley up`), which does not implement `COPY FROM STDIN`.
   */
  database: pg.Pool | Kysely<Database>;
  mapping?: ColumnMapping;
  /** File rows merged into the list per statement. @default 50000 */
  mergeBatchSize?: number;
  /** Rows per INSERT into the staging table when COPY is not available. @default 500 */
  insertBatchSize?: number;
  /** Rejected rows (bad and duplicate) kept in the result; all are counted and passed to `onRejected`. @default 1000 */
  keepRejected?: number;
  onRejected?: (row: RejectedRow) => void;
  /** Called every 10,000 rows read, for progress bars. */
  onProgress?: (rowsRead: number) => void;
}

export interface ContactImportResult {
  /** Data rows in the file (without the header). */
  rows: number;
  imported: number;
  /** Rows whose id, phone or e-mail was in the list already or earlier in the file (also in `rejected`). */
  duplicates: number;
  rejectedCount: number;
  /** The first `keepRejected` rejected rows (bad rows in file order, then duplicates), sorted by line. */
  rejected: RejectedRow[];
}

/** One statement on the import's connection: a pg client's or a Kysely transaction's. */
type Run = (text: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

const stagingColumns = '(line, contact_id, phone, email, time_zone, columns)';

/**
 * Imports a CSV file (header row first) into a contact list, streamed: rows are parsed,
 * checked and normalized one at a time, written to a temporary staging table (COPY), then
 * merged into the list in batches of line ranges. Nothing of the file is held in memory
 * beyond a batch of rows. All of it happens in one transaction: a failure (the
 * connection, a malformed file the parser cannot get past) loads nothing.
 *
 * Rows that cannot be loaded are reported with their line and reason, and the rest load:
 * a bad phone or e-mail, neither of them, an unknown time zone, a wrong number of fields,
 * a duplicate of a contact already in the list or of an earlier row (the first one wins).
 */
export async function importContacts(input: Readable, options: ContactImportOptions): Promise<ContactImportResult> {
  const { database } = options;
  if (database instanceof pg.Pool) {
    const client = await database.connect();
    let failure: Error | undefined;
    try {
      await client.query('BEGIN');
      const run: Run = async (text, params) => (await client.query(text, params)).rows as Record<string, unknown>[];
      const result = await importOn(run, input, options, async (rows) => {
        await pipelineAsync(Readable.from(rows), stringify(), client.query(copyFrom(`COPY contact_staging ${stagingColumns} FROM STDIN (FORMAT csv)`)));
      });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      failure = err as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      // A connection that failed mid-COPY is not trusted back into the pool.
      client.release(failure);
    }
  }
  const insertBatchSize = options.insertBatchSize ?? 500;
  return database.transaction().execute(async (trx) => {
    const run: Run = async (text, params = []) => (await trx.executeQuery(CompiledQuery.raw(text, params))).rows as Record<string, unknown>[];
    return importOn(run, input, options, async (rows) => {
      let batch: unknown[][] = [];
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const values = batch.map((_, r) => `(${[1, 2, 3, 4, 5, 6].map((c) => `$${r * 6 + c}`).join(', ')})`).join(', ');
        await run(`INSERT INTO contact_staging ${stagingColumns} VALUES ${values}`, batch.flat());
        batch = [];
      };
      for await (const row of rows) {
        batch.push(row);
        if (batch.length >= insertBatchSize) await flush();
      }
      await flush();
    });
  });
}

async function importOn(
  run: Run,
  input: Readable,
  options: ContactImportOptions,
  stage: (rows: AsyncIterable<unknown[]>) => Promise<void>,
): Promise<ContactImportResult> {
  const { tenant, listId } = options;
  const [list] = await run('SELECT default_country FROM contact_lists WHERE tenant = $1 AND id = $2', [tenant, listId]);
  if (!list) throw new ContactListNotFoundError(tenant, listId);
  const defaultCountry = (list.default_country as string | null) ?? null;

  await run(`CREATE TEMP TABLE contact_staging (line integer NOT NULL, contact_id text, phone text, email text, time_zone text, columns jsonb NOT NULL) ON COMMIT DROP`);
  const rejected = new RejectedRows(options.keepRejected ?? 1000, options.onRejected);
  const read = { rows: 0, lastLine: 0, mapping: undefined as ResolvedMapping | undefined };
  await stage(checkedRows(input, options, defaultCountry, rejected, read));
  if (!read.mapping) return { rows: 0, imported: 0, duplicates: 0, rejectedCount: rejected.count, rejected: rejected.rows };

  await run('CREATE INDEX ON contact_staging (line)');
  await run('ANALYZE contact_staging');
  // Positions after the list's tail, one per file line: the list row's lock keeps
  // concurrent imports and adds from taking the same ones, until this transaction ends.
  const [reserved] = await run(
    `UPDATE contact_lists SET tail = tail + $3,
            columns = columns || coalesce((SELECT jsonb_agg(n ORDER BY i) FROM unnest($4::text[]) WITH ORDINALITY AS u(n, i)
                                            WHERE NOT contact_lists.columns @> jsonb_build_array(n)), '[]'::jsonb)
      WHERE tenant = $1 AND id = $2 RETURNING tail - $3 AS base`,
    [tenant, listId, read.lastLine, read.mapping.columns.map((c) => c.name)],
  );
  const base = String(reserved!.base);
  const mergeBatchSize = options.mergeBatchSize ?? 50_000;
  let imported = 0;
  let duplicates = 0;
  let analyzed = false;
  for (let from = 0; from < read.lastLine; from += mergeBatchSize) {
    const range = [tenant, listId, base, from, from + mergeBatchSize];
    // The rows that did not get their position were duplicates. Compared with what this
    // statement inserted, not with the whole list, so the cost stays per batch.
    const [merged] = await run(
      `WITH inserted AS (
         INSERT INTO contacts (tenant, list_id, contact_id, position, phone, email, time_zone, columns)
         SELECT $1, $2, coalesce(s.contact_id, gen_random_uuid()::text), $3::bigint + s.line, s.phone, s.email, s.time_zone, s.columns
           FROM contact_staging s WHERE s.line > $4 AND s.line <= $5 ORDER BY s.line
         ON CONFLICT DO NOTHING RETURNING position
       )
       SELECT (SELECT count(*) FROM inserted) AS imported,
              coalesce((SELECT array_agg(s.line ORDER BY s.line) FROM contact_staging s
                         WHERE s.line > $4 AND s.line <= $5
                           AND NOT EXISTS (SELECT 1 FROM inserted i WHERE i.position = $3::bigint + s.line)), '{}') AS duplicates`,
      range,
    );
    imported += Number(merged!.imported);
    const duplicateLines = merged!.duplicates as number[];
    if (duplicateLines.length === 0) continue;
    // Say what each repeats, through the list's unique indexes. A table that just grew (a
    // first import) has statistics that still call it tiny, and the planner then picks any
    // index of (tenant, list_id) and filters: measured 13 s for 500 duplicates against
    // 50,000 contacts. ANALYZE samples a fixed number of rows, so it costs little once.
    if (!analyzed) {
      await run('ANALYZE contacts');
      analyzed = true;
    }
    const dups = await run(
      `SELECT s.line, s.contact_id, s.phone, s.email,
              (SELECT c.contact_id FROM contacts c WHERE c.tenant = $1 AND c.list_id = $2 AND c.contact_id = s.contact_id) AS same_id,
              (SELECT c.contact_id FROM contacts c WHERE c.tenant = $1 AND c.list_id = $2 AND c.phone = s.phone) AS same_phone,
              (SELECT c.contact_id FROM contacts c WHERE c.tenant = $1 AND c.list_id = $2 AND c.email = s.email) AS same_email
         FROM contact_staging s
        WHERE s.line = ANY($3::integer[])
        ORDER BY s.line`,
      [tenant, listId, duplicateLines],
    );
    for (const d of dups) {
      duplicates++;
      rejected.add(Number(d.line), duplicateReason(d as unknown as DuplicateRow));
    }
  }
  rejected.rows.sort((a, b) => a.line - b.line);
  return { rows: read.rows, imported, duplicates, rejectedCount: rejected.count, rejected: rejected.rows };
}

interface DuplicateRow {
  contact_id: string | null;
  phone: string | null;
  email: string | null;
  same_id: string | null;
  same_phone: string | null;
  same_email: string | null;
}

function duplicateReason(d: DuplicateRow): string {
  if (d.same_id) return `duplicate id ${d.same_id}`;
  if (d.same_phone) return `duplicate phone number ${d.phone ?? ''} (contact ${d.same_phone})`;
  return `duplicate e-mail address ${d.email ?? ''} (contact ${d.same_email ?? ''})`;
}

/** The file's rows, checked and normalized, as staging rows; the rest go to `rejected`. */
async function* checkedRows(
  input: Readable,
  options: ContactImportOptions,
  defaultCountry: string | null,
  rejected: RejectedRows,
  read: { rows: number; lastLine: number; mapping: ResolvedMapping | undefined },
): AsyncGenerator<unknown[]> {
  const parser = parse({ bom: true, skip_empty_lines: true, info: true, relax_column_count: true, skip_records_with_error: true });
  // A row the parser cannot read (an unclosed quote…) is reported and skipped.
  parser.on('skip', (err: CsvError & { lines?: number }) => {
    read.rows++;
    rejected.add(err.lines ?? 0, `malformed CSV: ${err.message}`);
  });
  // pipeline: an upload that fails fails the parse, and a parse that stops (bad header) releases the upload.
  pipeline(input, parser, () => undefined);
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    const line = info.lines;
    if (!read.mapping) {
      read.mapping = resolveMapping(record, options.mapping);
      continue;
    }
    const m = read.mapping;
    read.rows++;
    read.lastLine = line;
    if (read.rows % 10_000 === 0) options.onProgress?.(read.rows);
    if (record.length !== m.width) {
      rejected.add(line, `${record.length} fields where the header has ${m.width}`);
      continue;
    }
    const at = (i: number | undefined): string | null => (i === undefined ? null : (record[i] ?? null));
    const checked = checkContact({ contactId: at(m.id), phone: at(m.phone), email: at(m.email), timeZone: at(m.timeZone) }, defaultCountry);
    if (!checked.ok) {
      rejected.add(line, checked.reason);
      continue;
    }
    const columns: Record<string, string> = {};
    for (const c of m.columns) columns[c.name] = record[c.index] ?? '';
    yield [line, checked.contactId, checked.phone, checked.email, checked.timeZone, JSON.stringify(columns)];
  }
}
