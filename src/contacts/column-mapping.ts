import { ColumnMappingError } from './errors.ts';

/** Which columns of a CSV file hold what. Names are the file's header names. */
export interface ColumnMapping {
  /** @default the column named `phone` (any case), if any */
  phone?: string;
  /** @default the column named `email` (any case), if any */
  email?: string;
  /** The contact's id. @default the column named `id`, if any; else a random UUID per contact */
  id?: string;
  /** IANA time zone name. @default the column named `timeZone` or `time_zone` (any case), if any */
  timeZone?: string;
  /** The columns kept with the contact (for templates). @default every column not mapped above */
  columns?: readonly string[];
}

/** A mapping resolved against one header: column indexes. */
export interface ResolvedMapping {
  phone: number | undefined;
  email: number | undefined;
  id: number | undefined;
  timeZone: number | undefined;
  columns: { name: string; index: number }[];
  width: number;
}

export function resolveMapping(header: readonly string[], mapping: ColumnMapping = {}): ResolvedMapping {
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) throw new ColumnMappingError(`the header names column ${JSON.stringify(name)} twice`);
    seen.add(name);
  }
  const named = (field: string, wanted: string | undefined, defaults: readonly string[]): number | undefined => {
    if (wanted !== undefined) {
      const index = header.indexOf(wanted);
      if (index < 0) throw new ColumnMappingError(`the ${field} column ${JSON.stringify(wanted)} is not in the header (${header.join(', ')})`);
      return index;
    }
    const index = header.findIndex((h) => defaults.includes(h.trim().toLowerCase()));
    return index < 0 ? undefined : index;
  };
  const phone = named('phone', mapping.phone, ['phone']);
  const email = named('email', mapping.email, ['email']);
  const id = named('id', mapping.id, ['id']);
  const timeZone = named('timeZone', mapping.timeZone, ['timezone', 'time_zone']);
  if (phone === undefined && email === undefined) {
    throw new ColumnMappingError(`no phone or email column: map one (header: ${header.join(', ')})`);
  }
  const mapped = new Set([phone, email, id, timeZone]);
  const columns = mapping.columns
    ? mapping.columns.map((name) => ({ name, index: named('data', name, []) ?? -1 }))
    : header.flatMap((name, index) => (mapped.has(index) ? [] : [{ name, index }]));
  return { phone, email, id, timeZone, columns, width: header.length };
}
