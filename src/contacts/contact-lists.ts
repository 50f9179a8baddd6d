import type { Kysely, Transaction } from 'kysely';
import type { ContactListRow, Database } from '../store/index.ts';
import { ContactListNotFoundError } from './errors.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface NewContactList {
  tenant: string;
  /** As a Campaign's `spec.contacts.listId` names it. */
  id: string;
  name: string;
  /** ISO 3166 alpha-2 country for phone numbers written without a country code. @default none */
  defaultCountry?: string | null;
}

/** Creates a contact list, or renames an existing one and changes its default country. */
export async function saveContactList(db: Db, list: NewContactList): Promise<ContactListRow> {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(list.id)) throw new RangeError(`a contact list id is 1 to 128 letters, digits, _ or -: ${JSON.stringify(list.id)}`);
  if (list.defaultCountry != null && !/^[A-Z]{2}$/.test(list.defaultCountry)) {
    throw new RangeError(`a default country is an ISO 3166 alpha-2 code such as US or FR: ${JSON.stringify(list.defaultCountry)}`);
  }
  return db
    .insertInto('contact_lists')
    .values({ tenant: list.tenant, id: list.id, name: list.name, default_country: list.defaultCountry ?? null })
    .onConflict((oc) => oc.columns(['tenant', 'id']).doUpdateSet((eb) => ({ name: eb.ref('excluded.name'), default_country: eb.ref('excluded.default_country') })))
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function requireContactList(db: Db, tenant: string, listId: string): Promise<ContactListRow> {
  const list = await db.selectFrom('contact_lists').selectAll().where('tenant', '=', tenant).where('id', '=', listId).executeTakeFirst();
  if (!list) throw new ContactListNotFoundError(tenant, listId);
  return list;
}

/** Deletes a list and its contacts. */
export async function deleteContactList(db: Db, tenant: string, listId: string): Promise<void> {
  const result = await db.deleteFrom('contact_lists').where('tenant', '=', tenant).where('id', '=', listId).executeTakeFirst();
  if (result.numDeletedRows === 0n) throw new ContactListNotFoundError(tenant, listId);
}

/** How many contacts a list holds. */
export async function countContacts(db: Db, tenant: string, listId: string): Promise<number> {
  const row = await db.selectFrom('contacts').select((eb) => eb.fn.countAll<string>().as('n')).where('tenant', '=', tenant).where('list_id', '=', listId).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A tenant's lists by id, each with how many contacts it holds. */
export async function listContactLists(db: Db, tenant: string): Promise<(ContactListRow & { contacts: number })[]> {
  const rows = await db
    .selectFrom('contact_lists as l')
    .selectAll('l')
    .select((eb) => eb.selectFrom('contacts as c').select(eb.fn.countAll<string>().as('n')).whereRef('c.tenant', '=', 'l.tenant').whereRef('c.list_id', '=', 'l.id').as('contacts'))
    .where('l.tenant', '=', tenant)
    .orderBy('l.id')
    .execute();
  return rows.map((r) => ({ ...r, contacts: Number(r.contacts ?? 0) }));
}
