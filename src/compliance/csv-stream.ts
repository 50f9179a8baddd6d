import { Readable, pipeline } from 'node:stream';
import { stringify } from 'csv-stringify';

/**
 * CSV text from rows produced lazily (a database read page by page), the first row being
 * the header (so it may depend on what the source reads first). A failure of the
 * source destroys the returned stream with that error, so a reader sees it instead of a
 * file that silently stops.
 */
export function csvStream(rows: () => AsyncIterable<readonly unknown[]>): Readable {
  const out = stringify();
  // The error reaches the reader through `out`; the callback only keeps it from being unhandled here.
  pipeline(Readable.from(rows()), out, () => {});
  return out;
}
