import { z } from 'zod';
import { ParleyError } from '../contract/index.ts';
import { parameterCountOf, type ChannelConfig } from '../config/index.ts';
import { isStaff, forbidden } from './access.ts';
import {
  CannedResponseInput,
  CannedResponseQuery,
  deleteCannedResponse,
  insertCannedResponse,
  replaceCannedResponse,
  searchCannedResponses,
} from './canned-responses.ts';
import { desktopDb } from './desktop-tables.ts';
import type { AgentListView, ChannelSummaryView, CustomerView, NoteView, QueueSummaryView, TemplateView } from './desktop-views.ts';
import { HttpProblem } from './http-errors.ts';
import { findConversation, listAgents, wasOffered } from './queries.ts';
import { ConversationParams, describeIssues } from './route-schemas.ts';
import type { RouteContext, RouteSpec } from './routes.ts';
import { addNote, notesOf } from './notes.ts';

/**
 * Routes the web app needs beyond the agent API: the tenant's queues, channels and agents
 * (wrap-up codes, channel limits, transfer targets), the response library and wrap-up
 * notes. Every one reads the tenant from the token only.
 */

const CannedParams = z.object({ responseId: z.uuid({ error: 'the responseId must be a UUID' }) });
const NoteInput = z.strictObject({ text: z.string().trim().min(1).max(4000).refine((s) => !s.includes('\u0000'), 'no NUL characters') });

export const desktopRoutes: RouteSpec[] = [
  {
    method: 'GET',
    url: '/v1/queues',
    auth: 'bearer',
    handler: (ctx) => Promise.resolve({ queues: queuesOf(ctx) }),
  },
  {
    method: 'GET',
    url: '/v1/channels',
    auth: 'bearer',
    handler: (ctx) => Promise.resolve({ channels: channelsOf(ctx) }),
  },
  {
    method: 'GET',
    url: '/v1/agents',
    auth: 'bearer',
    handler: async (ctx): Promise<AgentListView> => {
      const views = await listAgents(ctx.deps.db, ctx.claims.tenant);
      // Agents see who they can transfer to; their colleagues' loads and offers are for staff.
      if (isStaff(ctx.claims)) return { agents: views };
      return { agents: views.map(({ id, name, presence }) => ({ id, name, presence })) };
    },
  },

  {
    method: 'GET',
    url: '/v1/canned-responses',
    auth: 'bearer',
    handler: async (ctx) => {
      const query = parse(CannedResponseQuery, ctx.request.query ?? {});
      return { responses: await searchCannedResponses(desktopDb(ctx.deps.db), ctx.claims.tenant, query) };
    },
  },
  {
    method: 'POST',
    url: '/v1/canned-responses',
    auth: 'bearer',
    body: true,
    status: 201,
    handler: async (ctx) => {
      requireStaff(ctx);
      const input = parse(CannedResponseInput, ctx.body);
      return shortcutUnique(() => insertCannedResponse(desktopDb(ctx.deps.db), ctx.claims.tenant, ctx.claims.sub, input));
    },
  },
  {
    method: 'PUT',
    url: '/v1/canned-responses/:responseId',
    auth: 'bearer',
    params: CannedParams,
    body: true,
    handler: async (ctx) => {
      requireStaff(ctx);
      const input = parse(CannedResponseInput, ctx.body);
      const saved = await shortcutUnique(() => replaceCannedResponse(desktopDb(ctx.deps.db), ctx.claims.tenant, responseId(ctx), ctx.claims.sub, input));
      if (!saved) throw new HttpProblem('unknownCannedResponse');
      return saved;
    },
  },
  {
    method: 'DELETE',
    url: '/v1/canned-responses/:responseId',
    auth: 'bearer',
    params: CannedParams,
    handler: async (ctx) => {
      requireStaff(ctx);
      if (!(await deleteCannedResponse(desktopDb(ctx.deps.db), ctx.claims.tenant, responseId(ctx)))) throw new HttpProblem('unknownCannedResponse');
      return { deleted: true };
    },
  },

  {
    method: 'GET',
    url: '/v1/conversations/:id/customer',
    auth: 'bearer',
    params: ConversationParams,
    handler: async (ctx): Promise<CustomerView> => {
      const id = await readableConversationId(ctx);
      const row = await ctx.deps.db
        .selectFrom('conversations')
        .innerJoin('customers', (join) => join.onRef('customers.id', '=', 'conversations.customer_id').onRef('customers.tenant', '=', 'conversations.tenant'))
        .select(['customers.id', 'customers.name'])
        .where('conversations.tenant', '=', ctx.claims.tenant)
        .where('conversations.id', '=', id)
        .executeTakeFirst();
      if (!row) throw new ParleyError('unknownConversation');
      return { id: row.id, name: row.name };
    },
  },
  {
    method: 'GET',
    url: '/v1/conversations/:id/notes',
    auth: 'bearer',
    params: ConversationParams,
    handler: async (ctx): Promise<{ notes: NoteView[] }> => {
      const id = await readableConversationId(ctx);
      return { notes: await notesOf(desktopDb(ctx.deps.db), ctx.claims.tenant, id) };
    },
  },
  {
    method: 'POST',
    url: '/v1/conversations/:id/notes',
    auth: 'bearer',
    params: ConversationParams,
    body: true,
    status: 201,
    handler: async (ctx): Promise<NoteView> => {
      const id = await readableConversationId(ctx);
      const { text } = parse(NoteInput, ctx.body);
      return addNote(desktopDb(ctx.deps.db), ctx.claims.tenant, id, ctx.claims.sub, text);
    },
  },
];

function queuesOf(ctx: RouteContext): QueueSummaryView[] {
  return directory(ctx)
    .allQueues()
    .filter((q) => q.tenant === ctx.claims.tenant)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((q) => ({
      name: q.name,
      wrapUp: { codes: q.wrapUp.codes.map(({ code, label }) => ({ code, label })), required: q.wrapUp.required, afterWorkMs: q.wrapUp.afterWorkMs },
      serviceLevel: { ...q.serviceLevel },
      alertingTimeoutMs: q.alertingTimeoutMs,
    }));
}

function channelsOf(ctx: RouteContext): ChannelSummaryView[] {
  return directory(ctx)
    .allChannels()
    .filter((c) => c.tenant === ctx.claims.tenant)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((c) => ({ name: c.name, type: c.type, queue: c.queue, ...(c.type === 'whatsapp' && { templates: templatesOf(c) }) }));
}

function templatesOf(channel: ChannelConfig): TemplateView[] {
  return (channel.whatsapp?.templates ?? []).map((t) => ({ name: t.name, language: t.language, label: t.label, body: t.body, parameterCount: parameterCountOf(t) }));
}

function directory(ctx: RouteContext) {
  // A gateway started without the configuration cannot answer: say so rather than "no queues".
  if (!ctx.deps.config) throw new ParleyError('unavailable', 'this gateway was started without the configuration');
  return ctx.deps.config;
}

/** The conversation id, when the caller may read it (staff; an agent it is or was offered to). */
async function readableConversationId(ctx: RouteContext): Promise<string> {
  const { claims } = ctx;
  const conversation = await findConversation(ctx.deps.db, claims.tenant, ctx.params.id ?? '');
  if (!conversation) throw new ParleyError('unknownConversation');
  if (isStaff(claims) || conversation.agentId === claims.sub) return conversation.id;
  if (await wasOffered(ctx.deps.db, claims.tenant, conversation.id, claims.sub)) return conversation.id;
  throw forbidden('the conversation was never assigned to this agent');
}

function requireStaff(ctx: RouteContext): void {
  if (!isStaff(ctx.claims)) throw forbidden('the response library is managed by supervisors');
}

function responseId(ctx: RouteContext): string {
  return ctx.params.responseId ?? '';
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ParleyError('invalidEnvelope', describeIssues(parsed.error.issues));
  return parsed.data;
}

async function shortcutUnique<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw new HttpProblem('shortcutTaken', undefined, { cause: err });
    throw err;
  }
}
