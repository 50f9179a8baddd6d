import { stringify } from 'csv-stringify/sync';

/** A report's rows as CSV, one column per field in the rows' own order, a header first. */
export function reportCsv(rows: readonly object[], columns: readonly string[]): string {
  return stringify(rows as Record<string, unknown>[], { header: true, columns: [...columns], cast: { number: (n) => String(n) } });
}
