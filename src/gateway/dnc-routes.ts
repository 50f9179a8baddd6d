import { addDncEntries, deleteDncList, exportConsentLedger, exportDncCsv, importDncCsv, listDncLists, removeDncEntry, requireDncList, saveDncList } from '../compliance/index.ts';
import { FileDownload } from './download.ts';
import { HttpProblem } from './http-errors.ts';
import { translated } from './outbound-errors.ts';
import { bodyOf, ConsentExportQuery, DncEntriesBody, DncEntryParams, DncImportQuery, DncListBody, ListParams, param, requireStaff } from './outbound-params.ts';
import type { RouteContext, RouteSpec } from './routes.ts';

/**
 * Do-not-contact lists and the consent ledger's export (docs/campaigns.md §7):
 * supervisors and admins of the token's tenant. Another tenant's list is a 404.
 */

const staff = <T>(handler: (ctx: RouteContext) => Promise<T>) =>
  translated(async (ctx) => {
    requireStaff(ctx);
    return handler(ctx);
  });

const listView = (l: { id: string; name: string; channel_kind: string | null }) => ({ id: l.id, name: l.name, channelKind: l.channel_kind });
/** Who is recorded as the source of entries added over the API: the person, for audits. */
const sourceOf = (ctx: RouteContext, how: string) => `${how} by ${ctx.claims.sub}`;

export const dncRoutes: RouteSpec[] = [
  {
    method: 'GET',
    url: '/v1/dnc-lists',
    auth: 'bearer',
    handler: staff(async (ctx) => ({ lists: (await listDncLists(ctx.deps.db, ctx.claims.tenant)).map(listView) })),
  },
  {
    method: 'PUT',
    url: '/v1/dnc-lists/:listId',
    auth: 'bearer',
    params: ListParams,
    body: true,
    handler: staff(async (ctx) => {
      const body = bodyOf(ctx, DncListBody);
      return listView(await saveDncList(ctx.deps.db, { tenant: ctx.claims.tenant, id: param(ctx, 'listId'), name: body.name, channelKind: body.channelKind ?? null }));
    }),
  },
  {
    method: 'DELETE',
    url: '/v1/dnc-lists/:listId',
    auth: 'bearer',
    params: ListParams,
    handler: staff(async (ctx) => {
      await deleteDncList(ctx.deps.db, ctx.claims.tenant, param(ctx, 'listId'));
      return { deleted: param(ctx, 'listId') };
    }),
  },
  {
    method: 'POST',
    url: '/v1/dnc-lists/:listId/entries',
    auth: 'bearer',
    params: ListParams,
    body: true,
    handler: staff(async (ctx) => {
      const body = bodyOf(ctx, DncEntriesBody);
      const added = await addDncEntries(ctx.deps.db, ctx.claims.tenant, param(ctx, 'listId'), body.entries, { source: sourceOf(ctx, 'api'), defaultCountry: body.defaultCountry });
      return { added, alreadyListed: body.entries.length - added };
    }),
  },
  {
    method: 'DELETE',
    url: '/v1/dnc-lists/:listId/entries/:address',
    auth: 'bearer',
    params: DncEntryParams,
    handler: staff(async (ctx) => {
      const { tenant } = ctx.claims;
      const listId = param(ctx, 'listId');
      await requireDncList(ctx.deps.db, tenant, listId);
      return { removed: await removeDncEntry(ctx.deps.db, tenant, listId, param(ctx, 'address')) };
    }),
  },
  {
    method: 'POST',
    url: '/v1/dnc-lists/:listId/import',
    auth: 'bearer',
    params: ListParams,
    query: DncImportQuery,
    body: 'stream',
    handler: staff(async (ctx) => {
      const q = ctx.query as { column?: string; country?: string };
      const listId = param(ctx, 'listId');
      // One transaction: a file that fails half-way (a cut upload) adds nothing.
      return ctx.deps.db.transaction().execute(async (trx) => {
        try {
          return await importDncCsv(trx, ctx.claims.tenant, listId, ctx.upload!, { source: sourceOf(ctx, 'import'), column: q.column, defaultCountry: q.country });
        } catch (err) {
          // The file's header lacks the address column.
          if (err instanceof RangeError) throw new HttpProblem('invalidCsv', err.message, { cause: err });
          throw err;
        }
      });
    }),
  },
  {
    method: 'GET',
    url: '/v1/dnc-lists/:listId/export',
    auth: 'bearer',
    params: ListParams,
    handler: staff(async (ctx) => {
      const listId = param(ctx, 'listId');
      await requireDncList(ctx.deps.db, ctx.claims.tenant, listId);
      return new FileDownload(`dnc-${listId}.csv`, 'text/csv; charset=utf-8', exportDncCsv(ctx.deps.db, ctx.claims.tenant, listId));
    }),
  },
  {
    method: 'GET',
    url: '/v1/consent/export',
    auth: 'bearer',
    query: ConsentExportQuery,
    handler: staff(async (ctx) => {
      const q = ctx.query as { from?: string; to?: string };
      const stream = exportConsentLedger(ctx.deps.db, ctx.claims.tenant, { ...(q.from && { from: new Date(q.from) }), ...(q.to && { to: new Date(q.to) }) });
      return Promise.resolve(new FileDownload(`consent-ledger-${ctx.claims.tenant}.csv`, 'text/csv; charset=utf-8', stream));
    }),
  },
];
