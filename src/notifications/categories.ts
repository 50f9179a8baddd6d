import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/index.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** A category name, as notifications name theirs: `otp`, `order.shipped`, `promo-2026`. */
export const CATEGORY_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

export interface CategoryView {
  name: string;
  transactional: boolean;
  updatedBy: string;
  updatedAt: string;
}

/**
 * Marks a category transactional (one-time passcodes, receipts: sent even to an opted-out
 * or listed address, and at any hour) or not. A category never marked is marketing: the
 * strict default.
 */
export async function setCategory(db: Db, tenant: string, name: string, transactional: boolean, updatedBy: string): Promise<CategoryView> {
  const row = await db
    .insertInto('notification_categories')
    .values({ tenant, name, transactional, updated_by: updatedBy })
    .onConflict((oc) => oc.columns(['tenant', 'name']).doUpdateSet({ transactional, updated_by: updatedBy, updated_at: new Date() }))
    .returningAll()
    .executeTakeFirstOrThrow();
  return { name: row.name, transactional: row.transactional, updatedBy: row.updated_by, updatedAt: row.updated_at.toISOString() };
}

export async function listCategories(db: Db, tenant: string): Promise<CategoryView[]> {
  const rows = await db.selectFrom('notification_categories').selectAll().where('tenant', '=', tenant).orderBy('name').execute();
  return rows.map((row) => ({ name: row.name, transactional: row.transactional, updatedBy: row.updated_by, updatedAt: row.updated_at.toISOString() }));
}

export async function isTransactional(db: Db, tenant: string, name: string): Promise<boolean> {
  const row = await db.selectFrom('notification_categories').select('transactional').where('tenant', '=', tenant).where('name', '=', name).executeTakeFirst();
  return row?.transactional ?? false;
}
