import type { Kysely, Transaction } from 'kysely';
import type { Database, DncEntryRow, DncListRow } from '../store/index.ts';
import { requireAddress } from './address.ts';
import { DncListNotFoundError } from './errors.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface NewDncList {
  tenant: string;
  id: string;
  name: string;
  /** The channel kind it applies to (`sms`, `email`, `whatsapp`…); null or absent: every kind. */
  channelKind?: string | null;
}

/** Creates a do-not-contact list; creating one that exists changes its name and kind. */
export async function saveDncList(db: Db, list: NewDncList): Promise<DncListRow> {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(list.id)) throw new RangeError(`a do-not-contact list id is 1 to 128 letters, digits, _ or -: ${JSON.stringify(list.id)}`);
  return db
    .insertInto('dnc_lists')
    .values({ tenant: list.tenant, id: list.id, name: list.name, channel_kind: list.channelKind ?? null })
    .onConflict((oc) => oc.columns(['tenant', 'id']).doUpdateSet((eb) => ({ name: eb.ref('excluded.name'), channel_kind: eb.ref('excluded.channel_kind') })))
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function listDncLists(db: Db, tenant: string): Promise<DncListRow[]> {
  return db.selectFrom('dnc_lists').selectAll().where('tenant', '=', tenant).orderBy('id').execute();
}

/** Deletes a list with its entries (the consent ledger keeps its own history). */
export async function deleteDncList(db: Db, tenant: string, listId: string): Promise<void> {
  const result = await db.deleteFrom('dnc_lists').where('tenant', '=', tenant).where('id', '=', listId).executeTakeFirst();
  if (result.numDeletedRows === 0n) throw new DncListNotFoundError(tenant, listId);
}

export interface DncEntryInput {
  /** A phone (normalized with `defaultCountry`) or an e-mail address. */
  address: string;
  note?: string | null;
}

/**
 * Adds addresses to a list (an address already on it stays as it was). Throws
 * `InvalidAddressError` before writing anything when one is not an address.
 * @returns how many were new.
 */
export async function addDncEntries(
  db: Db,
  tenant: string,
  listId: string,
  entries: readonly DncEntryInput[],
  options: { source: string; defaultCountry?: string | null },
): Promise<number> {
  const rows = entries.map((e) => ({
    tenant,
    list_id: listId,
    address: requireAddress(e.address, options.defaultCountry),
    source: options.source,
    note: e.note ?? null,
  }));
  if (rows.length === 0) return 0;
  await requireDncList(db, tenant, listId);
  const result = await db.insertInto('dnc_entries').values(rows).onConflict((oc) => oc.doNothing()).executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n);
}

/** Removes one address from a list. @returns whether it was there. */
export async function removeDncEntry(db: Db, tenant: string, listId: string, address: string, defaultCountry?: string | null): Promise<boolean> {
  const result = await db
    .deleteFrom('dnc_entries')
    .where('tenant', '=', tenant)
    .where('list_id', '=', listId)
    .where('address', '=', requireAddress(address, defaultCountry))
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** One page of a list's entries in address order, after `after` (keyset paging for exports). */
export function dncEntriesPage(db: Db, tenant: string, listId: string, options: { after?: string; limit: number }): Promise<DncEntryRow[]> {
  let query = db.selectFrom('dnc_entries').selectAll().where('tenant', '=', tenant).where('list_id', '=', listId);
  if (options.after !== undefined) query = query.where('address', '>', options.after);
  return query.orderBy('address').limit(options.limit).execute();
}

export async function requireDncList(db: Db, tenant: string, listId: string): Promise<DncListRow> {
  const list = await db.selectFrom('dnc_lists').selectAll().where('tenant', '=', tenant).where('id', '=', listId).executeTakeFirst();
  if (!list) throw new DncListNotFoundError(tenant, listId);
  return list;
}
