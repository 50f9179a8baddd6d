import { sql, type Kysely, type Transaction } from 'kysely';
import type { ContactRow, Database } from '../store/index.ts';
import { checkContact } from './contact-fields.ts';
import { requireContactList } from './contact-lists.ts';
import { DuplicateContactError, InvalidContactError } from './errors.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface ContactInput {
  /** @default a random UUID */
  id?: string | null;
  /** Normalized to E.164 with the list's default country. */
  phone?: string | null;
  email?: string | null;
  /** IANA time zone name. */
  timeZone?: string | null;
  /** The contact's other columns, for templates. */
  columns?: Record<string, string>;
}

export interface AddContactOptions {
  /** Put the contact first in the list (a campaign reaches it before the others). @default false: last */
  top?: boolean;
}

/**
 * Adds one contact to a list, last or first. Throws `InvalidContactError` for bad fields,
 * `DuplicateContactError` when the list holds its id, phone or e-mail already,
 * `ContactListNotFoundError` for an unknown list.
 */
export async function addContact(db: Db, tenant: string, listId: string, input: ContactInput, options: AddContactOptions = {}): Promise<ContactRow> {
  const list = await requireContactList(db, tenant, listId);
  const checked = checkContact({ contactId: input.id, phone: input.phone, email: input.email, timeZone: input.timeZone }, list.default_country);
  if (!checked.ok) throw new InvalidContactError(checked.reason);
  const columns = input.columns ?? {};
  for (const [name, value] of Object.entries(columns)) {
    if (typeof value !== 'string') throw new InvalidContactError(`column ${JSON.stringify(name)} is not text`);
  }
  // The list row hands out the position, so concurrent adds serialize on it and never collide.
  const { rows } = await sql<ContactRow>`
    WITH list AS (
      UPDATE contact_lists
         SET ${options.top ? sql`head = head - 1` : sql`tail = tail + 1`}, columns = ${mergeColumns(Object.keys(columns))}
       WHERE tenant = ${tenant} AND id = ${listId}
   RETURNING ${options.top ? sql`head` : sql`tail`} AS position
    )
    INSERT INTO contacts (tenant, list_id, contact_id, position, phone, email, time_zone, columns)
    SELECT ${tenant}, ${listId}, coalesce(${checked.contactId}::text, gen_random_uuid()::text), list.position,
           ${checked.phone}, ${checked.email}, ${checked.timeZone}, ${JSON.stringify(columns)}::jsonb
      FROM list
    ON CONFLICT DO NOTHING
    RETURNING *`.execute(db);
  if (rows.length === 0) {
    throw new DuplicateContactError(`the list already has a contact with this ${await duplicateKey(db, tenant, listId, checked)}`);
  }
  return rows[0]!;
}

/** The list's column names extended with `names` it lacks, in order (SQL over `contact_lists.columns`). */
function mergeColumns(names: readonly string[]) {
  return sql`contact_lists.columns || coalesce((
    SELECT jsonb_agg(n ORDER BY i) FROM unnest(${[...names]}::text[]) WITH ORDINALITY AS u(n, i)
     WHERE NOT contact_lists.columns @> jsonb_build_array(n)), '[]'::jsonb)`;
}

async function duplicateKey(db: Db, tenant: string, listId: string, c: { contactId: string | null; phone: string | null; email: string | null }): Promise<string> {
  const found = await db
    .selectFrom('contacts')
    .select(['contact_id', 'phone', 'email'])
    .where('tenant', '=', tenant)
    .where('list_id', '=', listId)
    .where((eb) => eb.or([eb('contact_id', '=', c.contactId ?? ''), eb('phone', '=', c.phone ?? ''), eb('email', '=', c.email ?? '')]))
    .executeTakeFirst();
  if (found?.contact_id === c.contactId) return `id (${c.contactId})`;
  if (c.phone && found?.phone === c.phone) return `phone number (${c.phone})`;
  return `e-mail address (${c.email ?? ''})`;
}
