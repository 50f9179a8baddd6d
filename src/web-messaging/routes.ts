import fastifyCors from '@fastify/cors';
import fastifyWebsocket from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ResourceName, TenantName } from '../contract/index.ts';
import type { ChannelTransport } from '../channels/index.ts';
import { attachmentOf, loadAttachment, signatureValid, storeAttachment } from './attachments.ts';
import { availabilityOf } from './availability.ts';
import { baseUrlOf, channelFor, webContext, type WebContext } from './context.ts';
import { CustomerSockets } from './customer-socket.ts';
import { customerWebHistory } from './history.ts';
import type { WebMessagingDeps } from './options.ts';
import { WebProblem } from './problems.ts';
import { SessionLimiter } from './session-limiter.ts';
import { bearerOf, newCustomerId, signSession, verifySession, type WebSession } from './session-token.ts';
import { relayAgentTyping } from './typing-relay.ts';
import { webTransport } from './web-transport.ts';
import { widgetScriptLoader } from './widget-script.ts';

/** Where the routes live. */
export const WEB_PREFIX = '/web/v1';

/** New sessions one client address may open per rate window. */
const SESSIONS_PER_WINDOW_PER_IP = 30;

export interface WebMessaging {
  /** Delivers `web` Channels' outbound messages: register it with the channels role's sender. */
  transport: ChannelTransport;
}

type ChannelParams = { tenant: string; channel: string };

/**
 * Mounts web messaging on a fastify instance (the channels process's): the session, history
 * and attachment routes under `/web/v1/<tenant>/<channel>/…`, the customer WebSocket at
 * `/web/v1/ws`, and the relay of agents' typing signals. Registers `@fastify/websocket`
 * and `@fastify/cors` inside its own scope unless the instance already has them.
 */
export async function webMessagingRoutes(app: FastifyInstance, deps: WebMessagingDeps): Promise<WebMessaging> {
  const ctx = webContext(deps);
  const sockets = new CustomerSockets(ctx);
  const relay = relayAgentTyping(ctx.nc, ctx.db, (tenant, channel) => ctx.channels(tenant, channel) !== undefined, ctx.logger);
  app.addHook('onClose', () => {
    relay.unsubscribe();
    sockets.close();
  });
  await app.register(async (scope) => routes(scope, ctx, sockets), { prefix: WEB_PREFIX });
  return { transport: webTransport(ctx.nc, ctx.db) };
}

async function routes(scope: FastifyInstance, ctx: WebContext, sockets: CustomerSockets): Promise<void> {
  if (!scope.hasDecorator('websocketServer')) await scope.register(fastifyWebsocket, { options: { maxPayload: 16 * 1024 } });
  if (!scope.hasRequestDecorator('corsPreflightEnabled')) await scope.register(fastifyCors, { delegator: (request, callback) => callback(null, corsFor(ctx, request)) });

  // Uploads are raw bytes (the file's own Content-Type); other routes take no body.
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  scope.setErrorHandler((err, request, reply) => answerProblem(ctx, err, request, reply));

  const widgetScript = widgetScriptLoader(ctx.opts.widgetScriptPath ? [ctx.opts.widgetScriptPath] : undefined);
  const sessionsPerIp = new SessionLimiter(SESSIONS_PER_WINDOW_PER_IP, ctx.opts.rateWindowMs);

  /** Opens an anonymous session, or resumes (and refreshes) the one whose token is presented. */
  scope.post('/:tenant/:channel/sessions', { bodyLimit: 1024 }, async (request, reply) => {
    const { tenant, channel } = channelParams(request);
    const settings = channelFor(ctx, request, tenant, channel);
    const presented = bearerOf(request.headers.authorization);
    let customerId: string;
    if (presented !== undefined) {
      const session = await verifySession(ctx.secret, presented);
      requireSameChannel(session, tenant, channel);
      customerId = session.customerId;
    } else {
      if (!sessionsPerIp.take(request.ip)) throw new WebProblem('rateLimited', 'too many new sessions from this address');
      customerId = newCustomerId();
    }
    const { token, expiresAt } = await signSession(ctx.secret, { tenant, channel, customerId }, ctx.opts.sessionTtlSeconds);
    reply.code(presented === undefined ? 201 : 200);
    ctx.metrics.sessions.inc({ kind: presented === undefined ? 'new' : 'resumed' });
    return { token, customerId, expiresAt: expiresAt.toISOString(), availability: await availabilityOf(ctx.db, tenant, settings) };
  });

  scope.get('/:tenant/:channel/history', async (request) => {
    const { tenant, channel } = channelParams(request);
    const session = await sessionFor(ctx, request, tenant, channel);
    const settings = channelFor(ctx, request, tenant, channel);
    if (!ctx.reads.take(`${tenant}/${channel}/${session.customerId}`)) throw new WebProblem('rateLimited');
    const [messages, availability] = await Promise.all([customerWebHistory(ctx.db, session, ctx.opts.historyLimit), availabilityOf(ctx.db, tenant, settings)]);
    return { messages, availability };
  });

  scope.post('/:tenant/:channel/attachments', { bodyLimit: ctx.opts.maxAttachmentBytes }, async (request, reply) => {
    const { tenant, channel } = channelParams(request);
    const session = await sessionFor(ctx, request, tenant, channel);
    channelFor(ctx, request, tenant, channel);
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (!ctx.opts.attachmentTypes.includes(contentType)) throw new WebProblem('unsupportedMediaType', `${contentType || 'no content type'} is not accepted; allowed: ${ctx.opts.attachmentTypes.join(', ')}`);
    const data = request.body;
    if (!Buffer.isBuffer(data) || data.length === 0) throw new WebProblem('invalidRequest', 'the upload is empty');
    if (!ctx.sends.take(`${tenant}/${channel}/${session.customerId}`)) throw new WebProblem('rateLimited');
    const filename = filenameOf(request);
    const id = await storeAttachment(ctx.db, { tenant, channel, customerId: session.customerId, contentType, filename, data });
    reply.code(201);
    return { id, ...attachmentOf(ctx.secret, baseUrlOf(ctx, request), { tenant, channel }, { id, content_type: contentType, filename: filename ?? null, size: data.length }) };
  });

  /** A signed link (see attachments.ts): no session needed, so the agent's desktop can open it. */
  scope.get('/:tenant/:channel/attachments/:id', async (request, reply) => {
    const { tenant, channel } = channelParams(request);
    const id = (request.params as { id: string }).id;
    const sig = (request.query as { sig?: string }).sig;
    if (!/^[0-9a-f-]{36}$/.test(id) || !signatureValid(ctx.secret, { tenant, channel, id }, sig)) throw new WebProblem('notFound');
    const row = await loadAttachment(ctx.db, { tenant, channel, id });
    if (!row) throw new WebProblem('notFound');
    const inline = row.content_type.startsWith('image/');
    const name = (row.filename ?? 'attachment').replace(/[^\w.-]/g, '_');
    return reply
      .header('content-type', row.content_type)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'")
      .header('cache-control', 'private, max-age=86400')
      .header('content-disposition', `${inline ? 'inline' : 'attachment'}; filename="${name}"`)
      .send(row.data);
  });

  /** The widget itself, for `<script src=".../web/v1/widget.js">`: any site may load it (the Channel's origins are checked on use). */
  scope.get('/widget.js', async (_request, reply) => {
    const script = await widgetScript();
    if (!script) throw new WebProblem('notFound', 'the widget is not built: run npm run build:widget');
    return reply.header('content-type', 'text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').header('cross-origin-resource-policy', 'cross-origin').send(script);
  });

  scope.route({
    method: 'GET',
    url: '/ws',
    preHandler: async (request) => {
      if (request.ws) await sockets.authorize(request);
    },
    handler: () => Promise.reject(new WebProblem('upgradeRequired')),
    wsHandler: (socket, request) => sockets.serve(socket, request),
  });
}

function channelParams(request: FastifyRequest): ChannelParams {
  const { tenant, channel } = request.params as ChannelParams;
  if (!TenantName.safeParse(tenant).success || !ResourceName.safeParse(channel).success) throw new WebProblem('unknownChannel');
  return { tenant, channel };
}

async function sessionFor(ctx: WebContext, request: FastifyRequest, tenant: string, channel: string): Promise<WebSession> {
  const session = await verifySession(ctx.secret, bearerOf(request.headers.authorization));
  requireSameChannel(session, tenant, channel);
  return session;
}

/** A token is good for its own tenant and channel only: another tenant's data is never reachable with it. */
function requireSameChannel(session: WebSession, tenant: string, channel: string): void {
  if (session.tenant !== tenant || session.channel !== channel) throw new WebProblem('forbidden', 'this session belongs to another channel');
}

function filenameOf(request: FastifyRequest): string | undefined {
  const name = (request.query as { filename?: string }).filename;
  if (name === undefined) return undefined;
  // Only the last path segment, without control characters, at most 255 characters.
  // eslint-disable-next-line no-control-regex -- control characters are what it removes
  const clean = name.split(/[\\/]/).pop()?.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 255);
  return clean || undefined;
}

/** CORS for the Channel named in the path: its allowed origins, nothing for anyone else. */
function corsFor(ctx: WebContext, request: FastifyRequest) {
  const [tenant, channel] = (request.url.split('?')[0] ?? '').slice(WEB_PREFIX.length + 1).split('/');
  const settings = tenant && channel ? ctx.channels(tenant, channel) : undefined;
  const origin = request.headers.origin;
  const allowed = settings !== undefined && origin !== undefined && (settings.allowedOrigins.includes('*') || settings.allowedOrigins.includes(origin));
  return {
    origin: allowed ? origin : false,
    methods: ['GET', 'POST'],
    allowedHeaders: ['authorization', 'content-type'],
    exposedHeaders: ['retry-after'],
    maxAge: 600,
  };
}

const fastifyClientErrors: Partial<Record<string, ConstructorParameters<typeof WebProblem>[0]>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payloadTooLarge',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalidRequest',
  FST_ERR_VALIDATION: 'invalidRequest',
};

function answerProblem(ctx: WebContext, err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let problem: WebProblem;
  if (err instanceof WebProblem) problem = err;
  else {
    const code = fastifyClientErrors[(err as { code?: string } | null)?.code ?? ''];
    if (code) problem = new WebProblem(code);
    else {
      ctx.logger?.error('web messaging request failed', { route: request.routeOptions.url, err });
      return reply.code(500).type('application/problem+json; charset=utf-8').send(JSON.stringify({ type: 'internal', title: 'the server failed to handle the request', status: 500 }));
    }
  }
  if (problem.code === 'unauthorized') ctx.metrics.authFailures.inc();
  if (problem.code === 'rateLimited') reply.header('retry-after', String(Math.ceil(ctx.opts.rateWindowMs / 1000)));
  return reply.code(problem.status).type('application/problem+json; charset=utf-8').send(JSON.stringify(problem.toJSON()));
}
