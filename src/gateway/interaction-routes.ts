import { Readable, pipeline } from 'node:stream';
import { stringify } from 'csv-stringify';
import { z } from 'zod';
import { AgentId, ParleyError } from '../contract/index.ts';
import { queuesServedBy, readQueueActivity, searchInteractions, timelineOf } from '../supervision/index.ts';
import type { Interaction, InteractionCursor, InteractionFilter } from '../supervision/index.ts';
import { forbidden, isStaff } from './access.ts';
import { FileDownload } from './download.ts';
import { findConversation, wasOffered } from './queries.ts';
import { ConversationParams } from './route-schemas.ts';
import type { RouteContext, RouteSpec } from './routes.ts';
import { isTimeZone, localMinuteIn } from '../contract/index.ts';

/**
 * The supervisor views' HTTP side (docs/desktop.md): queue activity now, and the
 * interactions search with each conversation's timeline. Staff see their tenant; an agent
 * sees the conversations offered to them and their queues' history; the tenant is always
 * the token's.
 */

const PAGE_MAX = 500;
const CSV_BATCH = 1_000;

const Name = z.string().regex(/^[A-Za-z0-9_.-]{1,253}$/, 'a name');
// With an offset; seconds optional (a supervisor's range is to the minute: 2026-12-07T09:30+01:00).
const Instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.datetime({ offset: true, precision: -1 })], { error: 'an ISO-8601 instant with an offset, such as 2026-12-07T09:30+01:00' })
  .transform((s) => new Date(s));

const TimeZone = z.string().max(64).refine(isTimeZone, 'an IANA time zone such as Europe/Paris').default('UTC');

export const InteractionQuery = z
  .strictObject({
    from: Instant.optional(),
    to: Instant.optional(),
    /** The zone of the CSV's local times and file name (the page reads its from/to minutes in it too). @default "UTC" */
    timeZone: TimeZone,
    channel: Name.optional(),
    queue: Name.optional(),
    agent: AgentId.optional(),
    wrapUpCode: Name.optional(),
    campaign: Name.optional(),
    direction: z.enum(['inbound', 'outbound']).optional(),
    customer: z.string().trim().min(1).max(320).refine((s) => !s.includes('\u0000'), 'no NUL characters').optional(),
    /** @default 50 */
    limit: z.coerce.number().int().min(1).max(PAGE_MAX).default(50),
    /** The previous page's `nextCursor`. */
    cursor: z.string().max(200).optional(),
    /** `csv` (or `Accept: text/csv`): every matching row as a CSV download. @default "json" */
    format: z.enum(['json', 'csv']).default('json'),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, { path: ['to'], message: 'must be after from' });
type InteractionQuery = z.infer<typeof InteractionQuery>;

const ActivityQuery = z.strictObject({ timeZone: TimeZone });

export const interactionCsvColumns = ['startedAt', 'endedAt', 'startedAtLocal', 'endedAtLocal', 'kind', 'direction', 'channel', 'queue', 'status', 'agents', 'wrapUpCode', 'campaign', 'customerId', 'customerName', 'address', 'conversationId', 'id'] as const;

export const interactionRoutes: RouteSpec[] = [
  {
    method: 'GET',
    url: '/v1/queues/activity',
    auth: 'bearer',
    query: ActivityQuery,
    handler: async (ctx) => {
      requireStaff(ctx);
      const { timeZone } = ctx.query as z.infer<typeof ActivityQuery>;
      const at = new Date();
      return { at: at.toISOString(), timeZone, queues: await readQueueActivity(ctx.deps.db, { tenant: ctx.claims.tenant, timeZone, queues: tenantQueues(ctx), now: at }) };
    },
  },
  {
    method: 'GET',
    url: '/v1/interactions',
    auth: 'bearer',
    query: InteractionQuery,
    handler: async (ctx) => {
      const q = ctx.query as InteractionQuery;
      const filter = await filterOf(ctx, q);
      if (q.format === 'csv' || acceptsCsv(ctx)) return csvDownload(ctx, filter, q);
      const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      // One row more than asked tells whether there is a next page.
      const rows = await searchInteractions(ctx.deps.db, filter, q.limit + 1, cursor);
      const page = rows.slice(0, q.limit);
      const last = page.at(-1);
      return { interactions: page, nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null };
    },
  },
  {
    method: 'GET',
    url: '/v1/interactions/:id/timeline',
    auth: 'bearer',
    params: ConversationParams,
    handler: async (ctx) => {
      const { claims } = ctx;
      const conversation = await findConversation(ctx.deps.db, claims.tenant, ctx.params.id ?? '');
      if (!conversation) throw new ParleyError('unknownConversation');
      if (!isStaff(claims) && conversation.agentId !== claims.sub && !(await wasOffered(ctx.deps.db, claims.tenant, conversation.id, claims.sub))) {
        const queues = await queuesServedBy(ctx.deps.db, claims.tenant, claims.sub, agentScopeQueues(ctx));
        const visible = await searchInteractions(ctx.deps.db, { tenant: claims.tenant, visibleTo: { agentId: claims.sub, queues }, conversationId: conversation.id }, 1);
        if (visible.length === 0) throw forbidden('the conversation was never offered to this agent nor went through their queues');
      }
      return { conversation, entries: await timelineOf(ctx.deps.db, claims.tenant, conversation.id) };
    },
  },
];

async function filterOf(ctx: RouteContext, q: InteractionQuery): Promise<InteractionFilter> {
  const { claims } = ctx;
  const filter: InteractionFilter = {
    tenant: claims.tenant,
    from: q.from,
    to: q.to,
    channel: q.channel,
    queue: q.queue,
    agent: q.agent,
    wrapUpCode: q.wrapUpCode,
    campaign: q.campaign,
    direction: q.direction,
    customer: q.customer,
  };
  if (isStaff(claims)) return filter;
  return { ...filter, visibleTo: { agentId: claims.sub, queues: await queuesServedBy(ctx.deps.db, claims.tenant, claims.sub, agentScopeQueues(ctx)) } };
}

/** Every matching row, read page by page as the client takes them (never the whole result in memory). */
function csvDownload(ctx: RouteContext, filter: InteractionFilter, q: InteractionQuery): FileDownload {
  const { db } = ctx.deps;
  async function* rows(): AsyncGenerator<Record<string, unknown>> {
    let cursor: InteractionCursor | undefined;
    for (;;) {
      const page = await searchInteractions(db, filter, CSV_BATCH, cursor);
      for (const row of page) yield { ...row, startedAtLocal: local(row.startedAt), endedAtLocal: row.endedAt && local(row.endedAt), agents: row.agents.join(' ') };
      const last = page.at(-1);
      if (page.length < CSV_BATCH || !last) return;
      cursor = { startedAt: new Date(last.startedAt), id: last.id };
    }
  }
  const local = localSeconds(q.timeZone);
  // The range as the supervisor chose it, on their clock: interactions-2026-12-07T0930-2026-12-07T1800.csv.
  const minute = (d: Date | undefined) => (d ? localMinuteIn(q.timeZone, d).replace(':', '') : 'all');
  const csv = stringify({ header: true, columns: [...interactionCsvColumns] });
  // A failed read mid-file destroys the response (the client sees a cut download, never a
  // short file that looks complete); a client that goes away stops the reads.
  pipeline(Readable.from(rows()), csv, (err) => {
    if (err && err.code !== 'ERR_STREAM_PREMATURE_CLOSE') ctx.request.log.error({ err }, 'interactions CSV export failed');
  });
  return new FileDownload(`interactions-${minute(q.from)}-${minute(q.to)}.csv`, 'text/csv; charset=utf-8', csv);
}

/** An ISO instant as "2026-12-07 09:30:15" on a clock in `timeZone`. */
function localSeconds(timeZone: string): (iso: string) => string {
  const format = new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  return (iso) => format.format(new Date(iso));
}

function acceptsCsv(ctx: RouteContext): boolean {
  const accept = ctx.request.headers.accept ?? '';
  return /\btext\/csv\b/i.test(accept) && !/\bapplication\/json\b/i.test(accept);
}

function encodeCursor(row: Interaction): string {
  return Buffer.from(`${row.startedAt}|${row.id}`).toString('base64url');
}

function decodeCursor(value: string): InteractionCursor {
  const [at, id, extra] = Buffer.from(value, 'base64url').toString().split('|');
  const startedAt = new Date(at ?? '');
  if (!id || extra !== undefined || Number.isNaN(startedAt.getTime())) throw new ParleyError('invalidEnvelope', 'cursor: not a cursor this route gave');
  return { startedAt, id };
}

/** The queues an agent's scope is computed over; without the configuration, none (their own conversations only). */
function agentScopeQueues(ctx: RouteContext) {
  return ctx.deps.config ? tenantQueues(ctx) : [];
}

function tenantQueues(ctx: RouteContext) {
  if (!ctx.deps.config) throw new ParleyError('unavailable', 'this gateway was started without the configuration');
  return ctx.deps.config.allQueues().filter((q) => q.tenant === ctx.claims.tenant);
}

function requireStaff(ctx: RouteContext): void {
  if (!isStaff(ctx.claims)) throw forbidden('supervisor or admin role required');
}
