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
import { listAgents } from './queries.ts';
import type { AgentBoardFrame, AgentView } from './views.ts';

/** The tenant-wide supervisor stream: one WebSocket for every queue and agent of the tenant (docs/agent-api.md §6). */
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
  /** What the stream carries: `queues` (their activity), `agents` (the status board), or both, comma-separated. */
  include: z
    .string()
    .max(32)
    .default('queues')
    .transform((list) => [...new Set(list.split(',').map((part) => part.trim()))].sort())
    .pipe(z.array(z.enum(['agents', 'queues'])).min(1)),
  access_token: z.string().optional(),
});

type Include = z.infer<typeof SupervisorStreamQuery>['include'];
type Frame = SupervisorFrame | AgentBoardFrame;

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
    const { timeZone, include } = request.query as { timeZone: string; include: Include };
    const key = `${claims.tenant}|${timeZone}|${include.join(',')}`;
    let hub = this.#hubs.get(key);
    if (!hub) {
      hub = new TenantHub(this.#deps, claims.tenant, timeZone, new Set(include), () => this.#hubs.delete(key));
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
  /** What was last sent, as JSON: per queue, and per agent. */
  readonly #last = new Map<string, string>();
  readonly #lastAgents = new Map<string, string>();
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
    private readonly include: ReadonlySet<Include[number]>,
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
    let queues: QueueActivity[] = [];
    let agents: AgentView[] = [];
    try {
      if (this.include.has('queues')) {
        const configured = (this.deps.config?.allQueues() ?? []).filter((q) => q.tenant === this.tenant);
        queues = await readQueueActivity(this.deps.db, { tenant: this.tenant, timeZone: this.timeZone, queues: configured, now: at });
      }
      if (this.include.has('agents')) agents = await listAgents(this.deps.db, this.tenant);
    } catch (err) {
      // The next cue or resync tries again; the clients keep what they show.
      this.deps.logger.warn('supervisor stream: reading queue activity or agents failed', { tenant: this.tenant, err: err instanceof Error ? err.message : String(err) });
      return;
    }
    const stamp = at.toISOString();
    if (this.include.has('queues')) {
      diff(this.#last, queues, (q) => q.queue, {
        changed: (queue) => this.#broadcast({ type: 'queue.activity', at: stamp, queue }),
        removed: (queue) => this.#broadcast({ type: 'queue.removed', at: stamp, queue }),
      });
    }
    if (this.include.has('agents')) {
      diff(this.#lastAgents, agents, (a) => a.id, {
        changed: (agent) => this.#broadcast({ type: 'agent.view', at: stamp, agent }),
        removed: (agentId) => this.#broadcast({ type: 'agent.removed', at: stamp, agentId }),
      });
    }
    for (const ws of this.#joining) {
      if (this.include.has('queues')) this.#send(ws, { type: 'queues.snapshot', at: stamp, timeZone: this.timeZone, queues });
      if (this.include.has('agents')) this.#send(ws, { type: 'agents.snapshot', at: stamp, agents });
      this.#joining.delete(ws);
      this.#sockets.add(ws);
    }
  }

  #broadcast(frame: Frame): void {
    for (const ws of this.#sockets) this.#send(ws, frame);
  }

  #send(ws: WebSocket, frame: Frame): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    // A client this far behind is not reading: it reconnects and starts from a snapshot.
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) return ws.close(TRY_AGAIN_LATER, 'too far behind');
    ws.send(JSON.stringify(frame));
  }
}

/**
 * Compares what was read with what was last sent (as JSON, by key): calls `changed` for
 * each new or different item and `removed` for each key no longer there, and remembers.
 */
function diff<T>(last: Map<string, string>, items: T[], keyOf: (item: T) => string, on: { changed(item: T): void; removed(key: string): void }): void {
  const seen = new Set<string>();
  for (const item of items) {
    const key = keyOf(item);
    seen.add(key);
    const json = JSON.stringify(item);
    if (last.get(key) === json) continue;
    last.set(key, json);
    on.changed(item);
  }
  for (const key of [...last.keys()]) {
    if (seen.has(key)) continue;
    last.delete(key);
    on.removed(key);
  }
}
