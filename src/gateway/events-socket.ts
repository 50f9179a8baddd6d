import { STATUS_CODES } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { WebSocket, WebSocketServer } from 'ws';
import { AgentId, ParleyError, subjects } from '../contract/index.ts';
import type { Logger } from '../observability/index.ts';
import { authenticate, requireSelfOrStaff, tokenOf } from './access.ts';
import { toProblem } from './http-errors.ts';
import type { GatewayMetrics } from './metrics.ts';

/** How often an event socket is pinged; one missed pong and it is dropped. */
export const PING_INTERVAL_MS = 30_000;

// A client this far behind is not reading: close it rather than buffer without bound. It
// reconnects and reads its state again over HTTP (agent events are core NATS, not replayed).
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** WebSocket close code for "try again later" (RFC 6455 registry). */
const TRY_AGAIN_LATER = 1013;
const GOING_AWAY = 1001;

/**
 * `GET /v1/agents/:agentId/events` upgraded to a WebSocket: every message on the agent's
 * core NATS events subject becomes one text frame.
 */
export class EventSockets {
  readonly #nc: NatsConnection;
  readonly #secret: string;
  readonly #metrics: GatewayMetrics;
  readonly #logger: Logger;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  readonly #open = new Set<WebSocket>();
  #closing = false;

  constructor(nc: NatsConnection, secret: string, metrics: GatewayMetrics, logger: Logger) {
    this.#nc = nc;
    this.#secret = secret;
    this.#metrics = metrics;
    this.#logger = logger;
  }

  /** Authorizes and upgrades one request; answers a problem response when it may not. */
  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, agentId: string): Promise<void> {
    let sub: Subscription | undefined;
    try {
      if (this.#closing) throw new ParleyError('unavailable', 'the gateway is shutting down');
      const claims = authenticate(this.#secret, tokenOf(req, url, true));
      requireSelfOrStaff(claims, agentId);
      // The id becomes a subject token: `*` or `>` would subscribe to other agents' events.
      if (!AgentId.safeParse(agentId).success) throw new ParleyError('unknownAgent');

      sub = this.#nc.subscribe(subjects.agentEvents(claims.tenant, agentId));
      // Once the server has our SUB, no event published after the client saw `open` is lost.
      await this.#nc.flush();
    } catch (err) {
      sub?.unsubscribe();
      rejectUpgrade(socket, err, this.#logger);
      return;
    }
    if (this.#closing || socket.destroyed) {
      sub.unsubscribe();
      socket.destroy();
      return;
    }
    const subscription = sub;
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#serve(ws, subscription));
  }

  /** Closes every open socket with 1001 (going away) and stops accepting new ones. */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(
      [...this.#open].map(
        (ws) =>
          new Promise<void>((resolve) => {
            ws.once('close', () => resolve());
            ws.close(GOING_AWAY, 'gateway shutting down');
            // A peer that never answers the close frame must not hold up shutdown.
            setTimeout(() => ws.terminate(), 2_000).unref();
          }),
      ),
    );
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #serve(ws: WebSocket, sub: Subscription): void {
    this.#open.add(ws);
    this.#metrics.eventSockets.inc();

    let alive = true;
    ws.on('pong', () => (alive = true));
    const heartbeat = setInterval(() => {
      if (!alive) {
        ws.terminate();
        return;
      }
      alive = false;
      ws.ping();
    }, PING_INTERVAL_MS);

    ws.on('error', () => {
      // 'close' always follows; the cause (a bad frame, a reset) needs no further action.
    });
    ws.once('close', () => {
      clearInterval(heartbeat);
      sub.unsubscribe();
      this.#open.delete(ws);
      this.#metrics.eventSockets.dec();
    });

    void (async () => {
      // Ends when the subscription is unsubscribed (socket closed) or NATS closes.
      for await (const msg of sub) {
        if (ws.readyState !== WebSocket.OPEN) break;
        if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
          ws.close(TRY_AGAIN_LATER, 'too far behind');
          break;
        }
        ws.send(msg.string());
      }
      if (ws.readyState === WebSocket.OPEN) ws.close(GOING_AWAY, 'event source closed');
    })().catch(() => ws.terminate());
  }
}

/** Answers a refused upgrade with the same problem body an HTTP route would send. */
export function rejectUpgrade(socket: Duplex, err: unknown, logger: Logger): void {
  const { problem, unexpected } = toProblem(err);
  if (unexpected) logger.error('event socket upgrade failed', { error: err });
  const body = JSON.stringify(problem);
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? ''}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/problem+json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
