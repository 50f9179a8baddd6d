import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { FastifyRequest } from 'fastify';
import { WebSocket } from 'ws';
import { ParleyError, subjects } from '../contract/index.ts';
import { requireSelfOrStaff } from './access.ts';
import { claimsOf } from './caller.ts';
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
 * `GET /v1/agents/:agentId/events` upgraded to a WebSocket (`@fastify/websocket`): every
 * message on the agent's core NATS events subject becomes one text frame.
 */
export class EventSockets {
  readonly #nc: NatsConnection;
  readonly #metrics: GatewayMetrics;
  readonly #open = new Set<WebSocket>();
  readonly #subscriptions = new WeakMap<FastifyRequest, Subscription>();
  #closing = false;

  constructor(nc: NatsConnection, metrics: GatewayMetrics) {
    this.#nc = nc;
    this.#metrics = metrics;
  }

  /**
   * `preHandler` of the route, for upgrade requests: authorizes, then subscribes before
   * the handshake completes. A refusal throws, and is answered with a problem body like
   * any route. (The agent id was validated by the route's schema: it becomes a subject
   * token, where `*` or `>` would subscribe to other agents' events.)
   */
  async subscribe(request: FastifyRequest, agentId: string): Promise<void> {
    if (this.#closing) throw new ParleyError('unavailable', 'the gateway is shutting down');
    const claims = claimsOf(request);
    requireSelfOrStaff(claims, agentId);
    const sub = this.#nc.subscribe(subjects.agentEvents(claims.tenant, agentId));
    // The socket may die before or during the handshake: the subscription goes with it.
    request.raw.socket.once('close', () => sub.unsubscribe());
    this.#subscriptions.set(request, sub);
    // Once the server has our SUB, no event published after the client saw `open` is lost.
    await this.#nc.flush();
  }

  /** The route's WebSocket handler, once the handshake is done. */
  serve(ws: WebSocket, request: FastifyRequest): void {
    const sub = this.#subscriptions.get(request);
    if (sub === undefined || this.#closing) {
      ws.close(GOING_AWAY, 'gateway shutting down');
      return;
    }
    this.#serve(ws, sub);
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
