import type { Readable } from 'node:stream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { UnsubscribeKey } from '../compliance/index.ts';
import type { ZodType } from 'zod';
import { ParleyError } from '../contract/index.ts';
import type { Database } from '../store/index.ts';
import type { Claims } from '../auth/index.ts';
import { forbidden, isStaff, requireAdmin, requireSelfOrAdmin, requireSelfOrStaff } from './access.ts';
import type { AuthMode } from './caller.ts';
import type { CommandDraft, CommandSender } from './command-sender.ts';
import { reportRoutes } from './report-routes.ts';
import { campaignRoutes } from './campaign-routes.ts';
import { contactRoutes } from './contact-routes.ts';
import { dncRoutes } from './dnc-routes.ts';
import { unsubscribeRoutes } from './unsubscribe-routes.ts';
import { qualityRoutes } from './quality-routes.ts';
import { desktopRoutes } from './desktop-routes.ts';
import { interactionRoutes } from './interaction-routes.ts';
import { channelMediaRoutes } from './channel-media-routes.ts';
import { uploadRoutes } from './upload-routes.ts';
import type { AttachmentLinks } from './agent-attachments.ts';
import { localLoginRoute } from './local-login.ts';
import { meRoute, signInSettingsRoute } from './sign-in-routes.ts';
import { startConversationRoute } from './start-conversation-route.ts';
import type { GatewayDirectory, LocalLoginOptions, OidcSignInOptions } from './options.ts';
import { assignmentsOf, findAgent, findConversation, historyOf, wasOffered } from './queries.ts';
import { AgentParams, ConversationParams, OfferParams } from './route-schemas.ts';
import type { CommandAccepted, ConversationView, HealthView, HistoryView, SentMessage } from './views.ts';

/** What the handlers work with, resolved once when the gateway starts. */
export interface RouteDeps {
  nc: NatsConnection;
  db: Kysely<Database>;
  commands: CommandSender;
  /** The live configuration (queues, channels): the web app's directory routes, the reports' service-level targets. */
  config: GatewayDirectory | undefined;
  /** Set only by `parley up` in local mode: `POST /v1/local-login` signs tokens. */
  localLogin: Required<LocalLoginOptions> | undefined;
  /** The web app's OIDC sign-in settings, served by `GET /v1/auth/sign-in`. */
  signIn: OidcSignInOptions | undefined;
  /** For contact imports through COPY (PostgreSQL server only). */
  pool: pg.Pool | undefined;
  /** Verifies one-click unsubscribe links; undefined when none are issued. */
  unsubscribeKey: UnsubscribeKey | undefined;
  /** Signs the links of files agents upload; undefined: uploads answer 503. */
  attachmentLinks: AttachmentLinks | undefined;
}

/** One call, as a handler sees it: params and body already validated by the route's schemas. */
export interface RouteContext {
  request: FastifyRequest;
  /** The verified token's claims (routes with `auth: 'bearer'`). */
  claims: Claims;
  params: Record<string, string>;
  /** The query string, as the route's `query` schema parsed it (`{}` without one). */
  query: Record<string, unknown>;
  body: Record<string, unknown>;
  /** The request body as it arrives, on `body: 'stream'` routes only. */
  upload: Readable | undefined;
  deps: RouteDeps;
}

/** One route of the API: fastify declares it with these schemas and this access mode. */
export interface RouteSpec {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** E.g. `/v1/agents/:agentId/offers/:offerId/accept`. Also the metrics label. */
  url: string;
  auth: AuthMode;
  params?: ZodType;
  /** The query string's schema. */
  query?: ZodType;
  /** Whether the route reads a JSON object body; `stream`: the raw request body, as `upload` (CSV files). */
  body?: boolean | 'stream';
  /** The status of a success. @default 200 */
  status?: number;
  handler(ctx: RouteContext): Promise<unknown>;
}

// A readiness probe must answer within the kubelet's timeout even when the database hangs.
const READY_CHECK_TIMEOUT_MS = 2_000;

/** The gateway's HTTP API. The events WebSocket is declared by the server, next to its socket handling. */
export const routes: RouteSpec[] = [
  { method: 'GET', url: '/healthz', auth: 'none', handler: () => Promise.resolve<HealthView>({ status: 'ok' }) },
  { method: 'GET', url: '/readyz', auth: 'none', handler: readiness },

  {
    method: 'PUT',
    url: '/v1/agents/:agentId',
    auth: 'bearer',
    params: AgentParams,
    body: true,
    handler: (ctx) => {
      requireAdmin(ctx.claims);
      const { body } = ctx;
      return command(ctx, {
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
    url: '/v1/agents/:agentId',
    auth: 'bearer',
    params: AgentParams,
    handler: async (ctx) => {
      const agentId = param(ctx, 'agentId');
      requireSelfOrStaff(ctx.claims, agentId);
      const agent = await findAgent(ctx.deps.db, ctx.claims.tenant, agentId);
      if (!agent) throw new ParleyError('unknownAgent');
      return agent;
    },
  },
  {
    method: 'POST',
    url: '/v1/agents/:agentId/presence',
    auth: 'bearer',
    params: AgentParams,
    body: true,
    handler: (ctx) => {
      const agentId = param(ctx, 'agentId');
      requireSelfOrStaff(ctx.claims, agentId);
      return command(ctx, { type: 'presence.set', agentId, presence: ctx.body.presence });
    },
  },
  {
    method: 'POST',
    url: '/v1/agents/:agentId/offers/:offerId/accept',
    auth: 'bearer',
    params: OfferParams,
    handler: (ctx) => {
      const agentId = param(ctx, 'agentId');
      requireSelfOrAdmin(ctx.claims, agentId);
      return command(ctx, { type: 'offer.accept', agentId, offerId: param(ctx, 'offerId') });
    },
  },
  {
    method: 'POST',
    url: '/v1/agents/:agentId/offers/:offerId/reject',
    auth: 'bearer',
    params: OfferParams,
    body: true,
    handler: (ctx) => {
      const agentId = param(ctx, 'agentId');
      requireSelfOrAdmin(ctx.claims, agentId);
      return command(ctx, { type: 'offer.reject', agentId, offerId: param(ctx, 'offerId'), reason: ctx.body.reason });
    },
  },

  // An agent starts a conversation with a customer (outbound).
  startConversationRoute,
  {
    method: 'GET',
    url: '/v1/conversations/:id',
    auth: 'bearer',
    params: ConversationParams,
    handler: (ctx) => readableConversation(ctx),
  },
  {
    method: 'GET',
    url: '/v1/conversations/:id/history',
    auth: 'bearer',
    params: ConversationParams,
    handler: async (ctx) => {
      const conversation = await readableConversation(ctx);
      const messages = await historyOf(ctx.deps.db, ctx.claims.tenant, conversation.customerId);
      return { customerId: conversation.customerId, messages } satisfies HistoryView;
    },
  },
  {
    method: 'GET',
    url: '/v1/conversations/:id/assignments',
    auth: 'bearer',
    params: ConversationParams,
    handler: async (ctx) => {
      const conversation = await readableConversation(ctx);
      return { assignments: await assignmentsOf(ctx.deps.db, ctx.claims.tenant, conversation.id) };
    },
  },
  {
    method: 'POST',
    url: '/v1/conversations/:id/messages',
    auth: 'bearer',
    params: ConversationParams,
    body: true,
    status: 201,
    handler: async (ctx) => {
      const { claims, body } = ctx;
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
      return { messageId: sent.commandId } satisfies SentMessage;
    },
  },
  {
    method: 'POST',
    url: '/v1/conversations/:id/close',
    auth: 'bearer',
    params: ConversationParams,
    body: true,
    handler: (ctx) =>
      command(ctx, { type: 'conversation.close', agentId: ctx.claims.sub, conversationId: param(ctx, 'id'), wrapUpCode: ctx.body.wrapUpCode }),
  },
  {
    method: 'POST',
    url: '/v1/conversations/:id/transfer',
    auth: 'bearer',
    params: ConversationParams,
    body: true,
    handler: (ctx) => {
      const { body } = ctx;
      const to = body.agentId !== undefined ? { agentId: body.agentId } : { queue: body.queue };
      return command(ctx, { type: 'conversation.transfer', agentId: ctx.claims.sub, conversationId: param(ctx, 'id'), to, ...(body.note !== undefined && { note: body.note }) });
    },
  },

  ...reportRoutes,
  ...qualityRoutes,
  // Outbound campaigns: contact and do-not-contact lists, campaigns, one-click unsubscribe (docs/campaigns.md §7).
  ...contactRoutes,
  ...dncRoutes,
  ...campaignRoutes,
  ...unsubscribeRoutes,
  // The web app's routes (docs/desktop.md).
  localLoginRoute,
  signInSettingsRoute,
  meRoute,
  ...desktopRoutes,
  // The supervisor views (docs/desktop.md).
  ...interactionRoutes,
  // Agent typing to web customers, e-mail attachments (docs/agent-api.md).
  ...channelMediaRoutes,
  // Files agents send in replies, and their signed links for providers (docs/agent-api.md).
  ...uploadRoutes,
];

async function readiness({ deps }: RouteContext): Promise<HealthView> {
  const failing = await unready(deps);
  if (failing.length > 0) throw new ParleyError('unavailable', failing.join('; '));
  return { status: 'ok' };
}

/** What keeps the gateway from taking work: empty when NATS is connected and the database answers. */
export async function unready(deps: Pick<RouteDeps, 'nc' | 'db'>): Promise<string[]> {
  const failing: string[] = [];
  if (deps.nc.isClosed()) failing.push('nats: connection closed');
  if (!(await databaseAnswers(deps.db))) failing.push('database: select 1 failed');
  return failing;
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
async function readableConversation(ctx: RouteContext): Promise<ConversationView> {
  const { claims } = ctx;
  const id = param(ctx, 'id');
  const conversation = await findConversation(ctx.deps.db, claims.tenant, id);
  if (!conversation) throw new ParleyError('unknownConversation');
  if (isStaff(claims) || conversation.agentId === claims.sub) return conversation;
  if (await wasOffered(ctx.deps.db, claims.tenant, id, claims.sub)) return conversation;
  throw forbidden('the conversation was never assigned to this agent');
}

async function command(ctx: RouteContext, draft: { type: CommandDraft['type']; agentId: string } & Record<string, unknown>): Promise<CommandAccepted> {
  // The tenant comes from the token, never from the URL or the body.
  const sent = await ctx.deps.commands.send({ ...draft, tenant: ctx.claims.tenant });
  return { commandId: sent.commandId };
}

function param(ctx: RouteContext, name: string): string {
  const value = ctx.params[name];
  // Only reachable if a handler names a parameter its schema lacks: a bug.
  if (value === undefined) throw new Error(`route parameter ${name} is missing`);
  return value;
}
