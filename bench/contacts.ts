import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { countContacts, importContacts, saveContactList } from '../src/contacts/index.ts';
import { migrateToLatest, openStore } from '../src/store/index.ts';
import { startTestServices } from '../test/support/services.ts';

/**
 * A million-row contact CSV imported into a list on a real PostgreSQL, streamed (the file
 * is generated on the fly, never held whole): rows per second and the process's peak
 * memory while importing. 1 % of rows have an invalid phone and 1 % repeat an earlier
 * phone, so the rejection and duplicate paths run at scale. The baseline, in the same
 * run: the same bytes sent with a bare `COPY` into a table of text columns (no parsing,
 * checking, staging or merging) — the ceiling of the database alone.
 */
/** BENCH_SCALE shrinks the file for a quick look (1 = the million rows the results are quoted at). */
const ROWS = Math.round(1_000_000 * Number(process.env.BENCH_SCALE ?? 1));
const TENANT = 'bench';
const MB = 1024 * 1024;

function* csvChunks(): Generator<string> {
  yield 'id,phone,email,first_name,city\n';
  const lines: string[] = [];
  for (let i = 1; i <= ROWS; i++) {
    const phone = i % 100 === 0 ? '06 12' : i % 100 === 50 ? `06${String(i - 1).padStart(8, '0')}` : `06${String(i).padStart(8, '0')}`;
    lines.push(`c${i},${phone},${i % 3 === 0 ? `user${i}@example.com` : ''},Name${i % 997},City ${i % 101}`);
    if (lines.length === 1000) {
      yield lines.join('\n') + '\n';
      lines.length = 0;
    }
  }
  if (lines.length > 0) yield lines.join('\n') + '\n';
}

/** Peak RSS and heap while `work` runs, sampled every 50 ms. */
async function measured<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number; peakRssMb: number; peakHeapMb: number }> {
  let peakRss = 0;
  let peakHeap = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  sample();
  const timer = setInterval(sample, 50);
  const start = performance.now();
  try {
    const result = await work();
    const seconds = (performance.now() - start) / 1000;
    sample();
    return { result, seconds, peakRssMb: Math.round(peakRss / MB), peakHeapMb: Math.round(peakHeap / MB) };
  } finally {
    clearInterval(timer);
  }
}

export async function runContactsBenchmark(): Promise<unknown> {
  const services = await startTestServices();
  const store = await openStore({ url: services.databaseUrl, poolSize: 2 });
  const pool = new pg.Pool({ connectionString: services.databaseUrl, max: 2 });
  try {
    await migrateToLatest(store.db);
    await saveContactList(store.db, { tenant: TENANT, id: 'million', name: 'A million', defaultCountry: 'FR' });
    global.gc?.();
    const before = process.memoryUsage();

    const baseline = await measured(async () => {
      const client = await pool.connect();
      try {
        await client.query('CREATE UNLOGGED TABLE raw_rows (id text, phone text, email text, first_name text, city text)');
        await pipeline(Readable.from(csvChunks()), client.query(copyFrom('COPY raw_rows FROM STDIN (FORMAT csv, HEADER true)')));
      } finally {
        client.release();
      }
    });

    const run = await measured(() => importContacts(Readable.from(csvChunks()), { tenant: TENANT, listId: 'million', database: pool }));
    const stored = await countContacts(store.db, TENANT, 'million');
    const rowsPerSecond = Math.round(ROWS / run.seconds);
    const baselineRowsPerSecond = Math.round(ROWS / baseline.seconds);
    return {
      benchmark: 'contacts',
      rows: ROWS,
      imported: run.result.imported,
      stored,
      duplicates: run.result.duplicates,
      rejected: run.result.rejectedCount,
      seconds: Number(run.seconds.toFixed(1)),
      rowsPerSecond,
      rssBeforeMb: Math.round(before.rss / MB),
      heapBeforeMb: Math.round(before.heapUsed / MB),
      peakRssMb: run.peakRssMb,
      peakHeapMb: run.peakHeapMb,
      baseline: { what: 'bare COPY of the same CSV into text columns', seconds: Number(baseline.seconds.toFixed(1)), rowsPerSecond: baselineRowsPerSecond, peakRssMb: baseline.peakRssMb },
      ratioToBaseline: Number((rowsPerSecond / baselineRowsPerSecond).toFixed(3)),
    };
  } finally {
    await pool.end();
    await store.close();
    await services.stop();
  }
}
