import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import { register } from 'prom-client';
import type { Registry } from 'prom-client';
import { createLogger } from '../observability/index.ts';
import type { Logger } from '../observability/index.ts';
import type { Database } from '../store/index.ts';
import { CommandSender } from './command-sender.ts';
import { EventSockets, rejectUpgrade } from './events-socket.ts';
import { HttpProblem, toProblem } from './http-errors.ts';
import { sendJson, sendProblem, sendText } from './http-io.ts';
import { gatewayMetrics } from './metrics.ts';
import { RouteTable } from './route-table.ts';
import { routes } from './routes.ts';
import type { Handler, RouteDeps } from './routes.ts';

export interface GatewayOptions {
  /** Connection to NATS; the gateway neither opens nor closes it. */
  nc: NatsConnection;
  /** The store; the gateway neither opens nor closes it. */
  db: Kysely<Database>;
  /** HS256 secret that signs agent, supervisor and admin tokens. */
  secret: string;
  /** @default 0 (any free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Where the gateway registers its metrics and what `/metrics` exposes. @default prom-client's global register */
  registry?: Registry;
  /** How long a command waits for the router's `command.result`. @default 10000 */
  commandTimeoutMs?: number;
  /** Where failures are logged (never bodies or customer identifiers). @default a JSON logger on stdout */
  logger?: Logger;
}

/** A running gateway. */
export interface Gateway {
  /** `http://host:port`, for clients. */
  url: string;
  port: number;
  /** Closes the event sockets and the HTTP server; leaves `nc` and `db` open. */
  close(): Promise<void>;
}

/** Options with every default applied, resolved once at start. */
interface ResolvedOptions {
  nc: NatsConnection;
  db: Kysely<Database>;
  secret: string;
  port: number;
  host: string;
  registry: Registry;
  commandTimeoutMs: number;
  logger: Logger;
}

function resolve(opts: GatewayOptions): ResolvedOptions {
  if (opts.secret.length === 0) throw new RangeError('GatewayOptions.secret must not be empty');
  const commandTimeoutMs = opts.commandTimeoutMs ?? 10_000;
  if (!(commandTimeoutMs > 0)) throw new RangeError('GatewayOptions.commandTimeoutMs must be positive');
  return {
    nc: opts.nc,
    db: opts.db,
    secret: opts.secret,
    port: opts.port ?? 0,
    host: opts.host ?? '127.0.0.1',
    registry: opts.registry ?? register,
    commandTimeoutMs,
    logger: opts.logger ?? createLogger({ component: 'gateway' }),
  };
}

const table = new RouteTable<Handler>(routes);
const EVENTS_PATTERN = '/v1/agents/:agentId/events';
/** How long close() lets in-flight requests finish before cutting their connections. */
const CLOSE_GRACE_MS = 5_000;

/**
 * Starts the agent/supervisor/integrator gateway: HTTP on `node:http`, the agent event
 * stream as a WebSocket (`ws`) on the same port.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const opts = resolve(options);
  const metrics = gatewayMetrics(opts.registry);
  const commands = new CommandSender(opts.nc, opts.commandTimeoutMs, metrics);
  const sockets = new EventSockets(opts.nc, opts.secret, metrics, opts.logger);
  const deps: RouteDeps = { nc: opts.nc, db: opts.db, secret: opts.secret, registry: opts.registry, commands };
  const { logger } = opts;

  const inFlight = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    const done = handle(req, res, deps, logger)
      .then((route) => {
        const labels = { method: req.method ?? '', route };
        metrics.httpRequests.inc({ ...labels, status: String(res.statusCode) });
        metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      })
      .catch((err: unknown) => logger.error('request bookkeeping failed', { error: err }))
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {
      // A client that resets during the handshake: nothing to answer any more.
    });
    const url = requestUrl(req);
    const match = table.match(req.method ?? 'GET', url.pathname);
    if (match.kind !== 'found' || match.route.pattern !== EVENTS_PATTERN || match.params.agentId === undefined) {
      rejectUpgrade(socket, new HttpProblem('routeNotFound', 'no WebSocket is served on this path'), logger);
      return;
    }
    void sockets.upgrade(req, socket, head, url, match.params.agentId);
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    close() {
      closed ??= (async () => {
        // Stop accepting (idle keep-alive connections close too), then let requests that
        // are in progress answer: waiting commands end at once with 503 `unavailable`.
        const stopped = new Promise<void>((done) => server.close(() => done()));
        commands.close();
        await sockets.close();
        await settleWithin([...inFlight], CLOSE_GRACE_MS);
        // Whatever still hangs (a stuck database query) is cut off.
        server.closeAllConnections();
        await stopped;
      })();
      return closed;
    },
  };
}

/** Resolves once every promise settled, or after `ms`, whichever comes first. */
async function settleWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([Promise.allSettled(promises), grace]);
  clearTimeout(timer);
}

/** Answers one request; resolves with the route pattern, for the metrics label. */
async function handle(req: IncomingMessage, res: ServerResponse, deps: RouteDeps, logger: Logger): Promise<string> {
  const url = requestUrl(req);
  const match = table.match(req.method ?? 'GET', url.pathname);
  const route = match.kind === 'found' ? match.route.pattern : match.kind === 'wrongMethod' ? match.pattern : 'unmatched';
  try {
    if (match.kind === 'none') throw new HttpProblem('routeNotFound');
    if (match.kind === 'wrongMethod') {
      throw new HttpProblem('methodNotAllowed', undefined, { headers: { allow: match.allowed.join(', ') } });
    }
    const reply = await match.route.handler({ req, url, params: match.params, deps });
    if ('text' in reply) sendText(res, reply.status, reply.contentType, reply.text);
    else sendJson(res, reply.status, reply.body, reply.headers);
  } catch (err) {
    const { problem, headers, unexpected } = toProblem(err);
    if (unexpected) logger.error('request failed', { method: req.method ?? '', route, error: err });
    sendProblem(res, problem, headers);
  }
  return route;
}

function requestUrl(req: IncomingMessage): URL {
  // Only the path and query matter; the Host header is the client's to choose.
  const base = 'http://gateway.invalid';
  try {
    return new URL(req.url ?? '/', base);
  } catch {
    // An unparseable request target (absolute-form garbage) matches no route: a 404.
    return new URL('/', base);
  }
}
