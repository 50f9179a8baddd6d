import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import fastifyCors from '@fastify/cors';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { LogController } from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ParleyError } from '../contract/index.ts';
import { claimsOf, identifyCaller, rateLimitKey, requireAuthenticated } from './caller.ts';
import { CommandSender } from './command-sender.ts';
import { EventSockets } from './events-socket.ts';
import { SupervisorStreams, SUPERVISOR_EVENTS_URL, SupervisorStreamQuery } from './supervisor-stream.ts';
import { fastifyLogger } from './fastify-logger.ts';
import { HttpProblem, toProblem } from './http-errors.ts';
import { registerIntegrations } from './integrations.ts';
import { gatewayMetrics } from './metrics.ts';
import { serveWebApp, WEB_APP_PREFIX } from './web-app.ts';
import { resolveOptions } from './options.ts';
import type { GatewayOptions, ResolvedOptions } from './options.ts';
import { AgentParams, ObjectBody, zodValidator } from './route-schemas.ts';
import { routes, unready } from './routes.ts';
import { FileDownload } from './download.ts';
import { HtmlPage } from './html-page.ts';
import type { RouteDeps, RouteSpec } from './routes.ts';

/** A running gateway. */
export interface Gateway {
  /** `http://host:port`, for clients. */
  url: string;
  port: number;
  /** Where the web app is served (`<url>/app/`), or undefined when the gateway serves none. */
  appUrl: string | undefined;
  /** What keeps it from taking work (NATS closed, database silent); empty when ready. For an ops server's `/readyz`. */
  unready(): Promise<string[]>;
  /** Closes the event sockets and the HTTP server; leaves `nc` and `db` open. */
  close(): Promise<void>;
}

const EVENTS_URL = '/v1/agents/:agentId/events';
/** How long close() lets in-flight requests finish before cutting their connections. */
const CLOSE_GRACE_MS = 5_000;
/** Methods that answer 405 (with `Allow`) on a path that exists for others. */
const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'] as const;
// A client's request id is kept when it is harmless in a log line; else we make one.
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Starts the agent/supervisor/integrator gateway: one fastify instance serving the HTTP
 * API and, on the same port, the agent event streams as WebSockets.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const opts = resolveOptions(options);
  const metrics = gatewayMetrics(opts.registry);
  const commands = new CommandSender(opts.nc, opts.commandTimeoutMs, metrics);
  const sockets = new EventSockets(opts.nc, metrics);
  const supervisorStreams = new SupervisorStreams({ nc: opts.nc, db: opts.db, config: opts.config, logger: opts.logger });
  const deps: RouteDeps = { nc: opts.nc, db: opts.db, commands, config: opts.config, localLogin: opts.localLogin, signIn: opts.signIn, pool: opts.pool, unsubscribeKey: opts.unsubscribeKey, attachmentLinks: opts.attachmentLinks };
  const { logger } = opts;

  const app = Fastify({
    loggerInstance: fastifyLogger(logger),
    // One line per request from our onResponse hook, with the route and the status.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: opts.bodyLimitBytes,
    // One-click unsubscribe tokens name tenant, address and campaign: past fastify's 100. Every
    // other parameter has its own, shorter, schema limit.
    routerOptions: { maxParamLength: 2048 },
    ...(opts.trustedProxies.length > 0 && { trustProxy: opts.trustedProxies }),
    exposeHeadRoutes: false,
    // Waiting commands are ended by close() itself (503); idle keep-alive sockets close at once.
    forceCloseConnections: 'idle',
  });
  app.setValidatorCompiler(zodValidator);
  // `content-type` is not checked (documented): every body is read as JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      // The parser's message names a position, never the body's content.
      done(new ParleyError('malformedJson', (err as Error).message, { cause: err }), undefined);
    }
  });
  app.setErrorHandler((err, request, reply) => answerProblem(err, request, reply));

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id).header('cache-control', 'no-store');
    done();
  });
  app.addHook('onRequest', identifyCaller(opts.verifier));
  app.addHook('preParsing', requireAuthenticated);
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched');
    const ms = reply.elapsedTime;
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: request.method, route }, ms / 1000);
    // Straight to the logger: the hottest log line skips the adapter's field copying.
    logger.info('request', { requestId: request.id, method: request.method, route, status: reply.statusCode, ms: Math.round(ms * 10) / 10 });
    done();
  });

  if (opts.corsOrigins.length > 0) await app.register(fastifyCors, corsOptions(opts));
  await app.register(fastifyRateLimit, {
    global: true,
    timeWindow: opts.rateLimit.windowMs,
    keyGenerator: rateLimitKey,
    max: (_request, key) => (key.startsWith('token:') ? opts.rateLimit.perToken : opts.rateLimit.perIp),
    errorResponseBuilder: (_request, context) => new HttpProblem('rateLimited', `more than ${context.max} requests in ${context.after}`),
  });
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });
  // Probing for paths counts against the caller's limit too.
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, (request, reply) => answerProblem(new HttpProblem('routeNotFound'), request, reply));

  declareRoutes(app, deps, sockets, opts);
  declareSupervisorStream(app, supervisorStreams);
  const stopIntegrations = await registerIntegrations(app, opts);
  if (opts.webAppDir !== undefined) await app.register(serveWebApp, { root: opts.webAppDir, connectSources: opts.signIn ? [new URL(opts.signIn.issuer).origin] : [] });

  try {
    await app.listen({ port: opts.port, host: opts.host });
  } catch (err) {
    // The port is taken (say): the receipts consumer started above must not outlive the failed start.
    await stopIntegrations();
    throw err;
  }
  const { port } = app.server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    appUrl: opts.webAppDir === undefined ? undefined : `http://${host}:${port}${WEB_APP_PREFIX}`,
    unready: () => unready(deps),
    close() {
      closed ??= (async () => {
        // Requests in progress answer: waiting commands end at once with 503 `unavailable`,
        // event sockets close with 1001. Whatever still hangs after the grace time (a stuck
        // database query) is cut off.
        commands.close();
        await sockets.close();
        await supervisorStreams.close();
        await stopIntegrations();
        const cutOff = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
        try {
          await app.close();
        } finally {
          clearTimeout(cutOff);
        }
      })();
      return closed;
    },
  };
}

function declareRoutes(app: FastifyInstance, deps: RouteDeps, sockets: EventSockets, opts: ResolvedOptions): void {
  const healthChecks = new Set(['/healthz', '/readyz']);
  const declare = (on: FastifyInstance, spec: RouteSpec) =>
    on.route({
      method: spec.method,
      url: spec.url,
      // Probes come from the kubelet's address, many times a minute: never limited.
      config: { auth: spec.auth, ...(healthChecks.has(spec.url) && { rateLimit: false }) },
      schema: { ...(spec.params && { params: spec.params }), ...(spec.query && { querystring: spec.query }), ...(spec.body === true && { body: ObjectBody }) },
      handler: async (request, reply) => {
        const stream = spec.body === 'stream';
        const upload = stream ? detachedUpload(request.body as Readable | undefined) : undefined;
        const result = await spec.handler({
          request,
          // Read only by routes that authenticate; anywhere else it throws (a bug).
          get claims() {
            return claimsOf(request);
          },
          // The route's schemas validated both (an empty body reads as `{}`).
          params: request.params as Record<string, string>,
          query: (request.query ?? {}) as Record<string, unknown>,
          body: stream ? {} : ((request.body ?? {}) as Record<string, unknown>),
          upload: upload?.stream,
          deps,
        }).finally(() => upload?.drain());
        reply.code(spec.status ?? 200);
        if (result instanceof FileDownload) {
          // Saved, never rendered by the browser here (images aside): a customer's file could be HTML or script.
          const disposition = result.options.inline ? 'inline' : 'attachment';
          if (result.options.cacheControl) reply.header('cache-control', result.options.cacheControl);
          return reply.type(result.contentType).header('x-content-type-options', 'nosniff').header('content-security-policy', "default-src 'none'").header('content-disposition', `${disposition}; filename="${result.filename}"`).send(result.body);
        }
        if (result instanceof HtmlPage) return reply.type('text/html; charset=utf-8').header('content-security-policy', HtmlPage.policy).send(result.html);
        return result;
      },
    });
  for (const spec of routes.filter((r) => r.body !== 'stream')) declare(app, spec);
  // Uploads (a CSV file) reach their handler as the request stream itself, never buffered
  // nor held to the body limit: their own parser, in a context of their own.
  void app.register((child, _opts, done) => {
    child.removeAllContentTypeParsers();
    child.addContentTypeParser('*', (_request, payload, parsed) => parsed(null, payload));
    for (const spec of routes.filter((r) => r.body === 'stream')) declare(child, spec);
    done();
  });

  app.route({
    method: 'GET',
    url: EVENTS_URL,
    config: { auth: 'bearerOrQuery' },
    schema: { params: AgentParams },
    preHandler: async (request) => {
      if (request.ws) await sockets.subscribe(request, (request.params as { agentId: string }).agentId);
    },
    handler: () => Promise.reject(new HttpProblem('upgradeRequired', undefined, { headers: { upgrade: 'websocket' } })),
    wsHandler: (socket, request) => sockets.serve(socket, request),
  });

  // 405 with `Allow` on every path that exists for other methods. (With CORS on, OPTIONS
  // stays with the CORS plugin's preflight route.)
  const allowed = new Map<string, string[]>();
  for (const { method, url } of [...routes, { method: 'GET', url: EVENTS_URL }, { method: 'GET', url: SUPERVISOR_EVENTS_URL }]) allowed.set(url, [...(allowed.get(url) ?? []), method]);
  for (const [url, methods] of allowed) {
    const others = METHODS.filter((m) => !methods.includes(m) && !(m === 'OPTIONS' && opts.corsOrigins.length > 0));
    app.route({
      method: others,
      url,
      handler: () => Promise.reject(new HttpProblem('methodNotAllowed', undefined, { headers: { allow: methods.join(', ') } })),
    });
  }
}

/** The tenant-wide supervisor stream (queue activity), a WebSocket like the agents' events. */
function declareSupervisorStream(app: FastifyInstance, streams: SupervisorStreams): void {
  app.route({
    method: 'GET',
    url: SUPERVISOR_EVENTS_URL,
    config: { auth: 'bearerOrQuery' },
    schema: { querystring: SupervisorStreamQuery },
    preHandler: async (request) => {
      if (request.ws) streams.authorize(request);
      return Promise.resolve();
    },
    handler: () => Promise.reject(new HttpProblem('upgradeRequired', undefined, { headers: { upgrade: 'websocket' } })),
    wsHandler: (socket, request) => streams.serve(socket, request),
  });
}

/**
 * An upload as its handler reads it: a stream of its own, so that a parser giving up
 * early (a bad header) destroys that stream and not the connection the answer still has
 * to go out on. What the handler left unread is drained afterwards.
 */
function detachedUpload(body: Readable | undefined): { stream: Readable; drain(): void } {
  if (body === undefined) return { stream: Readable.from([]), drain: () => undefined };
  const stream = new PassThrough();
  body.pipe(stream);
  body.once('error', (err) => stream.destroy(err));
  return {
    stream,
    drain() {
      body.unpipe(stream);
      if (!body.readableEnded) body.resume();
    },
  };
}

function corsOptions(opts: ResolvedOptions) {
  return {
    origin: opts.corsOrigins.includes('*') ? '*' : opts.corsOrigins,
    methods: ['GET', 'PUT', 'POST', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'x-request-id'],
    exposedHeaders: ['retry-after', 'x-request-id', 'allow'],
    maxAge: 600,
  };
}

/** Every error leaves as the catalog's `application/problem+json` body. */
function answerProblem(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { problem, headers, unexpected } = toProblem(err);
  if (unexpected) request.log.error({ route: request.routeOptions.url ?? 'unmatched', err }, 'request failed');
  return reply.code(problem.status).headers(headers).type('application/problem+json; charset=utf-8').send(JSON.stringify(problem));
}
