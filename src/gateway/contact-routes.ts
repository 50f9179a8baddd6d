import {
  addContact,
  countContacts,
  deleteContactList,
  exportContactList,
  importContacts,
  listContactLists,
  requireContactList,
  saveContactList,
} from '../contacts/index.ts';
import { FileDownload } from './download.ts';
import { translated } from './outbound-errors.ts';
import { bodyOf, ContactBody, ContactImportQuery, ContactListBody, ListParams, param, requireStaff } from './outbound-params.ts';
import type { RouteContext, RouteSpec } from './routes.ts';

/**
 * Contact lists for campaigns (docs/campaigns.md §7): supervisors and admins of the
 * token's tenant create, fill, export and delete them. Another tenant's list is a 404,
 * exactly like a missing one: every query is filtered by the token's tenant.
 */

const staff = <T>(handler: (ctx: RouteContext) => Promise<T>) =>
  translated(async (ctx) => {
    requireStaff(ctx);
    return handler(ctx);
  });

const listView = (l: { id: string; name: string; default_country: string | null; columns: string[]; created_at?: Date }, contacts: number) => ({
  id: l.id,
  name: l.name,
  defaultCountry: l.default_country,
  columns: l.columns,
  contacts,
});

export const contactRoutes: RouteSpec[] = [
  {
    method: 'GET',
    url: '/v1/contact-lists',
    auth: 'bearer',
    handler: staff(async (ctx) => ({ lists: (await listContactLists(ctx.deps.db, ctx.claims.tenant)).map((l) => listView(l, l.contacts)) })),
  },
  {
    method: 'PUT',
    url: '/v1/contact-lists/:listId',
    auth: 'bearer',
    params: ListParams,
    body: true,
    handler: staff(async (ctx) => {
      const body = bodyOf(ctx, ContactListBody);
      const { tenant } = ctx.claims;
      const list = await saveContactList(ctx.deps.db, { tenant, id: param(ctx, 'listId'), name: body.name, defaultCountry: body.defaultCountry ?? null });
      return listView(list, await countContacts(ctx.deps.db, tenant, list.id));
    }),
  },
  {
    method: 'GET',
    url: '/v1/contact-lists/:listId',
    auth: 'bearer',
    params: ListParams,
    handler: staff(async (ctx) => {
      const { tenant } = ctx.claims;
      const list = await requireContactList(ctx.deps.db, tenant, param(ctx, 'listId'));
      return listView(list, await countContacts(ctx.deps.db, tenant, list.id));
    }),
  },
  {
    method: 'DELETE',
    url: '/v1/contact-lists/:listId',
    auth: 'bearer',
    params: ListParams,
    handler: staff(async (ctx) => {
      await deleteContactList(ctx.deps.db, ctx.claims.tenant, param(ctx, 'listId'));
      return { deleted: param(ctx, 'listId') };
    }),
  },
  {
    method: 'POST',
    url: '/v1/contact-lists/:listId/contacts',
    auth: 'bearer',
    params: ListParams,
    body: true,
    status: 201,
    handler: staff(async (ctx) => {
      const { top, ...contact } = bodyOf(ctx, ContactBody);
      const row = await addContact(ctx.deps.db, ctx.claims.tenant, param(ctx, 'listId'), contact, { top: top ?? false });
      return { id: row.contact_id, phone: row.phone, email: row.email, timeZone: row.time_zone, columns: row.columns, top: top ?? false };
    }),
  },
  {
    method: 'POST',
    url: '/v1/contact-lists/:listId/import',
    auth: 'bearer',
    params: ListParams,
    query: ContactImportQuery,
    body: 'stream',
    handler: staff(async (ctx) => {
      const { tenant } = ctx.claims;
      const listId = param(ctx, 'listId');
      const { country, columns, ...named } = ctx.query as ContactImportQuery;
      const list = await requireContactList(ctx.deps.db, tenant, listId);
      if (country !== undefined && country !== list.default_country) await saveContactList(ctx.deps.db, { tenant, id: listId, name: list.name, defaultCountry: country });
      // The request body goes straight into the parser and COPY: a million-row file is never held.
      const result = await importContacts(ctx.upload!, {
        tenant,
        listId,
        database: ctx.deps.pool ?? ctx.deps.db,
        mapping: { ...named, ...(columns && { columns }) },
      });
      return result;
    }),
  },
  {
    method: 'GET',
    url: '/v1/contact-lists/:listId/export',
    auth: 'bearer',
    params: ListParams,
    handler: staff(async (ctx) => {
      const listId = param(ctx, 'listId');
      // Checked before the first byte: past it, a failure can only cut the file short.
      await requireContactList(ctx.deps.db, ctx.claims.tenant, listId);
      return new FileDownload(`${listId}.csv`, 'text/csv; charset=utf-8', exportContactList(ctx.deps.db, ctx.claims.tenant, listId));
    }),
  },
];
