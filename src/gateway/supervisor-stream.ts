import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { ParleyError, subjects } from '../contract/index.ts';
import type { Logger } from '../observability/index.ts';
import type { Database } from '../store/index.ts';
import { readQueueActivity } from '../supervision/index.ts';
import type { QueueActivity, SupervisorFrame } from '../supervision/index.ts';
import { forbidden, isStaff } from './access.ts';
import { claimsOf } from './caller.ts';
import type { GatewayDirectory } from './options.ts';
import { PING_INTERVAL_MS } from './events-socket.ts';
import { isTimeZone } from '../contract/index.ts';

/** The tenant-wide supervisor stream: one WebSocket for every queue of the tenant (docs/agent-api.md §6). */
export const SUPERVISOR_EVENTS_URL = '/v1/supervisor/events';

/** At most this often per tenant (and so per queue) is the activity re-read and pushed. */
export const MIN_REFRESH_MS = 500;
/** Re-read this often even without a cue: a missed note, or today's counts starting over at midnight. */
const RESYNC_MS = 10_000;
const MAX_BUFFERED_BYTES = 1024 * 1024;
const GOING_AWAY = 1001;
const TRY_AGAIN_LATER = 1013;

export const SupervisorStreamQuery = z.object({
  timeZone: z
    .string()
    .max(64)
    .refine(isTimeZone, 'an IANA time zone such as Europe/Paris')
    .default('UTC'),
  access_token: z.string().optional(),
});

interface Deps {
  nc: NatsConnection;
  db: Kysely<Database>;
  config: GatewayDirectory | undefined;
  logger: Logger;
}

/**
 * Serves every open supervisor stream. The sockets of one tenant and time zone share one
 * hub: one pair of NATS subscriptions (the folded-facts note, and the tenant's agent events
 * for presence and load) and one re-read of the committed queue state per cue, throttled.
 */
export class SupervisorStreams {
  readonly #deps: Deps;
  readonly #hubs = new Map<string, TenantHub>();
  readonly #pending = new WeakMap<FastifyRequest, TenantHub>();
  #closing = false;

  constructor(deps: Deps) {
    this.#deps = deps;
  }

  /** The route's `preHandler` for upgrades: staff only, and the configuration must be known. */
  authorize(request: FastifyRequest): void {
    if (this.#closing) throw new ParleyError('unavailable', 'the gateway is shutting down');
    const claims = claimsOf(request);
    if (!isStaff(claims)) throw forbidden('supervisor or admin role required');
    if (!this.#deps.config) throw new ParleyError('unavailable', 'this gateway was started without the configuration');
    const { timeZone } = request.query as { timeZone: string };
    const key = `${claims.tenant}|${timeZone}`;
    let hub = this.#hubs.get(key);
    if (!hub) {
      hub = new TenantHub(this.#deps, claims.tenant, timeZone, () => this.#hubs.delete(key));
      this.#hubs.set(key, hub);
    }
    this.#pending.set(request, hub);
  }

  serve(ws: WebSocket, request: FastifyRequest): void {
    const hub = this.#pending.get(request);
    if (!hub || this.#closing) {
      ws.close(GOING_AWAY, 'gateway shutting down');
      return;
    }
    hub.join(ws);
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all([...this.#hubs.values()].map((hub) => hub.close()));
  }
}

class TenantHub {
  readonly #sockets = new Set<WebSocket>();
  /** Joined, waiting for their first snapshot. */
  readonly #joining = new Set<WebSocket>();
  readonly #last = new Map<string, string>();
  readonly #subs: Subscription[];
  readonly #resync: NodeJS.Timeout;
  #timer: NodeJS.Timeout | undefined;
  #lastRefresh = 0;
  #running: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(
    private readonly deps: Deps,
    private readonly tenant: string,
    private readonly timeZone: string,
    private readonly onEmpty: () => void,
  ) {
    const cue = () => this.#schedule();
    this.#subs = [deps.nc.subscribe(subjects.queueActivity(tenant), { callback: cue }), deps.nc.subscribe(subjects.tenantAgentEvents(tenant), { callback: cue })];
    this.#resync = setInterval(cue, RESYNC_MS);
  }

  join(ws: WebSocket): void {
    this.#joining.add(ws);
    let alive = true;
    ws.on('pong', () => (alive = true));
    const heartbeat = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, PING_INTERVAL_MS);
    ws.on('error', () => {
      // 'close' follows.
    });
    ws.once('close', () => {
      clearInterval(heartbeat);
      this.#joining.delete(ws);
      this.#sockets.delete(ws);
      if (this.#joining.size + this.#sockets.size === 0) void this.close();
    });
    this.#schedule();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.onEmpty();
    clearInterval(this.#resync);
    clearTimeout(this.#timer);
    for (const sub of this.#subs) sub.unsubscribe();
    const all = [...this.#joining, ...this.#sockets];
    await Promise.all(
      all.map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) return resolve();
            ws.once('close', () => resolve());
            ws.close(GOING_AWAY, 'gateway shutting down');
            setTimeout(() => ws.terminate(), 2_000).unref();
          }),
      ),
    );
    await this.#running;
  }

  /** A re-read soon: at once if the last was long enough ago, else when it is; cues in between merge. */
  #schedule(): void {
    if (this.#closed || this.#timer !== undefined) return;
    const wait = Math.max(0, this.#lastRefresh + MIN_REFRESH_MS - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#lastRefresh = Date.now();
      this.#running = this.#running.then(() => this.#refresh());
    }, wait);
  }

  async #refresh(): Promise<void> {
    if (this.#closed) return;
    const at = new Date();
    let queues: QueueActivity[];
    try {
      const configured = (this.deps.config?.allQueues() ?? []).filter((q) => q.tenant === this.tenant);
      queues = await readQueueActivity(this.deps.db, { tenant: this.tenant, timeZone: this.timeZone, queues: configured, now: at });
    } catch (err) {
      // The next cue or resync tries again; the clients keep what they show.
      this.deps.logger.warn('supervisor stream: reading queue activity failed', { tenant: this.tenant, err: err instanceof Error ? err.message : String(err) });
      return;
    }
    const stamp = at.toISOString();
    const seen = new Set<string>();
    for (const activity of queues) {
      seen.add(activity.queue);
      const json = JSON.stringify(activity);
      if (this.#last.get(activity.queue) === json) continue;
      this.#last.set(activity.queue, json);
      this.#broadcast({ type: 'queue.activity', at: stamp, queue: activity });
    }
    for (const queue of [...this.#last.keys()]) {
      if (seen.has(queue)) continue;
      this.#last.delete(queue);
      this.#broadcast({ type: 'queue.removed', at: stamp, queue });
    }
    for (const ws of this.#joining) {
      this.#send(ws, { type: 'queues.snapshot', at: stamp, timeZone: this.timeZone, queues });
      this.#joining.delete(ws);
      this.#sockets.add(ws);
    }
  }

  #broadcast(frame: SupervisorFrame): void {
    for (const ws of this.#sockets) this.#send(ws, frame);
  }

  #send(ws: WebSocket, frame: SupervisorFrame): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    // A client this far behind is not reading: it reconnects and starts from a snapshot.
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) return ws.close(TRY_AGAIN_LATER, 'too far behind');
    ws.send(JSON.stringify(frame));
  }
}
