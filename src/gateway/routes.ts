import type { IncomingMessage } from 'node:http';
import type { NatsConnection } from '@nats-io/transport-node';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import { ParleyError } from '../contract/index.ts';
import type { Database } from '../store/index.ts';
import { authenticate, forbidden, isStaff, requireAdmin, requireSelfOrAdmin, requireSelfOrStaff, tokenOf } from './access.ts';
import type { CommandDraft, CommandSender } from './command-sender.ts';
import { HttpProblem } from './http-errors.ts';
import { readJsonBody } from './http-io.ts';
import { assignmentsOf, findAgent, findConversation, historyOf, wasOffered } from './queries.ts';
import type { Route } from './route-table.ts';
import type { Claims } from '../auth/index.ts';
import type { CommandAccepted, ConversationView, HealthView, HistoryView, SentMessage } from './views.ts';

/** What the handlers work with, resolved once when the gateway starts. */
export interface RouteDeps {
  nc: NatsConnection;
  db: Kysely<Database>;
  secret: string;
  registry: Registry;
  commands: CommandSender;
}

export interface RouteContext {
  req: IncomingMessage;
  url: URL;
  params: Record<string, string>;
  deps: RouteDeps;
}

/** A successful answer: JSON `body`, or raw `text` with its content type. */
export type Reply =
  | { status: number; body: unknown; headers?: Record<string, string> }
  | { status: number; text: string; contentType: string };

export type Handler = (ctx: RouteContext) => Promise<Reply>;

// A readiness probe must answer within the kubelet's timeout even when the database hangs.
const READY_CHECK_TIMEOUT_MS = 2_000;

/** The gateway's HTTP API. The events WebSocket is served by `EventSockets` on upgrade. */
export const routes: Route<Handler>[] = [
  { method: 'GET', pattern: '/healthz', handler: () => Promise.resolve(ok<HealthView>({ status: 'ok' })) },
  { method: 'GET', pattern: '/readyz', handler: readiness },
  {
    method: 'GET',
    pattern: '/metrics',
    handler: async ({ deps }) => ({ status: 200, text: await deps.registry.metrics(), contentType: deps.registry.contentType }),
  },

  {
    method: 'PUT',
    pattern: '/v1/agents/:agentId',
    handler: async (ctx) => {
      const claims = authenticated(ctx);
      requireAdmin(claims);
      const body = await objectBody(ctx);
      return command(ctx, claims, {
        type: 'agent.configure',
        agentId: param(ctx, 'agentId'),
        name: body.name,
        skills: body.skills,
        capacity: body.capacity,
        // The whole profile: a field left out takes its default (configure replaces the profile).
        proficiency: body.proficiency,
        languages: body.languages,
        labels: body.labels,
        interruptibleBy: body.interruptibleBy,
        autoAccept: body.autoAccept,
        awayAfterMissedOffers: body.awayAfterMissedOffers,
      });
    },
  },
  {
    method: 'GET',
    pattern: '/v1/agents/:agentId',
    handler: async (ctx) => {
      const claims = authenticated(ctx);
      const agentId = param(ctx, 'agentId');
      requireSelfOrStaff(claims, agentId);
      const agent = await findAgent(ctx.deps.db, claims.tenant, agentId);
      if (!agent) throw new ParleyError('unknownAgent');
      return ok(agent);
    },
  },
  {
    method: 'POST',
    pattern: '/v1/agents/:agentId/presence',
    handler: async (ctx) => {
      const claims = authenticated(ctx);
      const agentId = param(ctx, 'agentId');
      requireSelfOrStaff(claims, agentId);
      const body = await objectBody(ctx);
      return command(ctx, claims, { type: 'presence.set', agentId, presence: body.presence });
    },
  },
  {
    method: 'POST',
    pattern: '/v1/agents/:agentId/offers/:offerId/accept',
    handler: async (ctx) => {
      const claims = authenticated(ctx);
      const agentId = param(ctx, 'agentId');
      requireSelfOrAdmin(claims, agentId);
      return command(ctx, claims, { type: 'offer.accept', agentId, offerId: param(ctx, 'offerId') });
    },
  },
  {
    method: 'POST',
    pattern: '/v1/agents/:agentId/offers/:offerId/reject',
    handler: async (ctx) => {
      const claims = authenticated(ctx);
      const agentId = param(ctx, 'agentId');
      requireSelfOrAdmin(claims, agentId);
      const body = await objectBody(ctx);
      return command(ctx, claims, { type: 'offer.reject', agentId, offerId: param(ctx, 'offerId'), reason: body.reason });
    },
  },
  {
    method: 'GET',
    pattern: '/v1/agents/:agentId/events',
    handler: () => Promise.reject(new HttpProblem('upgradeRequired', undefined, { headers: { upgrade: 'websocket' } })),
  },

  {
    method: 'GET',
    pattern: '/v1/conversations/:id',
    handler: async (ctx) => ok(await readableConversation(ctx, authenticated(ctx))),
  },
  {
    method: 'GET',
    pattern: '/v1/conversations/:id/history',
    handler: async (ctx) => {
      const claims = authenticated(ctx);
      const conversation = await readableConversation(ctx, claims);
      const messages = await historyOf(ctx.deps.db, claims.tenant, conversation.customerId);
      return ok<HistoryView>({ customerId: conversation.customerId, messages });
    },
  },
  {
    method: 'GET',
    pattern: '/v1/conversations/:id/assignments',
    handler: async (ctx) => {
      const claims = authenticated(ctx);
      const conversation = await readableConversation(ctx, claims);
      return ok({ assignments: await assignmentsOf(ctx.deps.db, claims.tenant, conversation.id) });
    },
  },
  {
    method: 'POST',
    pattern: '/v1/conversations/:id/messages',
    handler: async (ctx) => {
      const claims = authenticated(ctx);
      const body = await objectBody(ctx);
      // The router checks that the agent is assigned: it owns that truth, we would race it.
      const sent = await ctx.deps.commands.send({
        type: 'message.send',
        tenant: claims.tenant,
        agentId: claims.sub,
        conversationId: param(ctx, 'id'),
        text: body.text,
        attachments: body.attachments,
        content: body.content,
      });
      // The router stores the message under the command's id.
      return { status: 201, body: { messageId: sent.commandId } satisfies SentMessage };
    },
  },
  {
    method: 'POST',
    pattern: '/v1/conversations/:id/close',
    handler: async (ctx) => {
      const claims = authenticated(ctx);
      const body = await objectBody(ctx);
      return command(ctx, claims, { type: 'conversation.close', agentId: claims.sub, conversationId: param(ctx, 'id'), wrapUpCode: body.wrapUpCode });
    },
  },
  {
    method: 'POST',
    pattern: '/v1/conversations/:id/transfer',
    handler: async (ctx) => {
      const claims = authenticated(ctx);
      const body = await objectBody(ctx);
      const to = body.agentId !== undefined ? { agentId: body.agentId } : { queue: body.queue };
      return command(ctx, claims, { type: 'conversation.transfer', agentId: claims.sub, conversationId: param(ctx, 'id'), to });
    },
  },
];

async function readiness({ deps }: RouteContext): Promise<Reply> {
  const failing: string[] = [];
  if (deps.nc.isClosed()) failing.push('nats: connection closed');
  if (!(await databaseAnswers(deps.db))) failing.push('database: select 1 failed');
  if (failing.length > 0) throw new ParleyError('unavailable', failing.join('; '));
  return ok<HealthView>({ status: 'ok' });
}

async function databaseAnswers(db: Kysely<Database>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), READY_CHECK_TIMEOUT_MS)));
  const probe = sql`select 1`.execute(db).then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([probe, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The conversation, if this caller may read it: staff read every conversation of their
 * tenant; an agent reads those assigned to them now or offered to them before. Another
 * tenant's conversation is a 404, exactly like one that does not exist.
 */
async function readableConversation(ctx: RouteContext, claims: Claims): Promise<ConversationView> {
  const id = param(ctx, 'id');
  const conversation = await findConversation(ctx.deps.db, claims.tenant, id);
  if (!conversation) throw new ParleyError('unknownConversation');
  if (isStaff(claims) || conversation.agentId === claims.sub) return conversation;
  if (await wasOffered(ctx.deps.db, claims.tenant, id, claims.sub)) return conversation;
  throw forbidden('the conversation was never assigned to this agent');
}

async function command(ctx: RouteContext, claims: Claims, draft: { type: CommandDraft['type']; agentId: string } & Record<string, unknown>): Promise<Reply> {
  // The tenant comes from the token, never from the URL or the body.
  const sent = await ctx.deps.commands.send({ ...draft, tenant: claims.tenant });
  return ok<CommandAccepted>({ commandId: sent.commandId });
}

function authenticated(ctx: RouteContext): Claims {
  return authenticate(ctx.deps.secret, tokenOf(ctx.req, ctx.url, false));
}

/** The body as an object; an empty body reads as `{}` so optional bodies need no care. */
async function objectBody(ctx: RouteContext): Promise<Record<string, unknown>> {
  const body = await readJsonBody(ctx.req);
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ParleyError('invalidEnvelope', '(root): the body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

function param(ctx: RouteContext, name: string): string {
  const value = ctx.params[name];
  // Only reachable if a handler names a parameter its pattern lacks: a bug.
  if (value === undefined) throw new Error(`route parameter ${name} is missing`);
  return value;
}

function ok<T>(body: T): Reply {
  return { status: 200, body };
}
