import { sql, type Kysely } from 'kysely';
import type { AgentContext } from '../agent/index.ts';
import type { QueueConfig } from '../config/index.ts';
import { queueReport, DEFAULT_SERVICE_LEVEL } from '../reports/index.ts';
import { agentViewOf, isMember } from '../routing/index.ts';
import { agentSnapshot, type Database } from '../store/index.ts';
import { startOfDay } from './local-day.ts';
import type { QueueActivity } from './views.ts';

export interface QueueActivityQuery {
  tenant: string;
  /** IANA zone where "today" starts. */
  timeZone: string;
  /** The tenant's configured queues. */
  queues: readonly QueueConfig[];
  now?: Date;
}

/**
 * Reads every queue's activity from committed state: the waiting conversations (their
 * rows, and `report_waits` for when each entered its queue), today's 15-minute report
 * aggregates (folded within half a second of each commit) and the agents' rows. Queues
 * absent from the configuration but holding waiting conversations are listed too.
 */
export async function readQueueActivity(db: Kysely<Database>, q: QueueActivityQuery): Promise<QueueActivity[]> {
  const now = q.now ?? new Date();
  const configured = new Map(q.queues.map((c) => [c.name, c]));
  const [waiting, today, agents] = await Promise.all([readWaiting(db, q.tenant), readToday(db, q.tenant, q.timeZone, now, configured), readAgents(db, q.tenant)]);

  const names = new Set([...configured.keys(), ...waiting.keys()]);
  return [...names].sort().map((name) => {
    const config = configured.get(name);
    const target = config?.serviceLevel ?? DEFAULT_SERVICE_LEVEL;
    const day = today.get(name);
    const wait = waiting.get(name);
    const members = config ? agents.filter((a) => servesQueue(a, config)) : [];
    return {
      queue: name,
      waiting: wait?.count ?? 0,
      longestWaitingSince: wait?.since ? wait.since.toISOString() : null,
      offered: day?.offered ?? 0,
      answered: day?.answered ?? 0,
      abandoned: day?.abandoned ?? 0,
      serviceLevel: day?.serviceLevel ?? null,
      serviceLevelTarget: { percentage: target.percentage, withinSeconds: target.withinMs / 1000 },
      serviceLevelSeconds: day?.serviceLevelSeconds ?? Math.round(target.withinMs / 1000),
      agents: {
        online: members.filter((a) => a.presence !== 'offline').length,
        available: members.filter((a) => a.presence === 'available' && a.hasRoom).length,
        busy: members.filter((a) => a.presence !== 'offline' && a.holding > 0).length,
      },
    };
  });
}

async function readWaiting(db: Kysely<Database>, tenant: string): Promise<Map<string, { count: number; since: Date | null }>> {
  const rows = await db
    .selectFrom('conversations as c')
    .leftJoin('report_waits as w', 'w.conversation_id', 'c.id')
    .select(['c.queue', sql<number>`count(*)::int`.as('count'), sql<Date | null>`min(coalesce(w.since, c.created_at))`.as('since')])
    .where('c.tenant', '=', tenant)
    .where('c.state', 'in', ['queued', 'offered'])
    .where('c.queue', 'is not', null)
    .groupBy('c.queue')
    .execute();
  return new Map(rows.map((r) => [r.queue ?? '', { count: r.count, since: r.since }]));
}

async function readToday(db: Kysely<Database>, tenant: string, timeZone: string, now: Date, configured: Map<string, QueueConfig>) {
  const from = startOfDay(now, timeZone);
  // The report aggregates are per 15 minutes: read up to the end of the current one.
  const to = new Date(Math.floor(now.getTime() / 900_000) * 900_000 + 900_000);
  const rows = await queueReport(
    db,
    tenant,
    { from, to, granularity: 'total', timeZone, format: 'json' },
    (queue) => configured.get(queue)?.serviceLevel,
  );
  return new Map(rows.map((r) => [r.queue, r]));
}

export interface AgentOnQueue {
  view: ReturnType<typeof agentViewOf>;
  presence: string;
  hasRoom: boolean;
  holding: number;
}

async function readAgents(db: Kysely<Database>, tenant: string): Promise<AgentOnQueue[]> {
  const rows = await db.selectFrom('agents').select([agentSnapshot().as('snapshot')]).where('tenant', '=', tenant).execute();
  return rows.map((r) => agentOnQueue(r.snapshot)).filter((a): a is AgentOnQueue => a !== undefined);
}

/** The agent as the queue view counts it; undefined for an agent configured but never stepped (it cannot serve). */
export function agentOnQueue(snapshot: unknown): AgentOnQueue | undefined {
  const ctx = contextOf(snapshot);
  if (!ctx) return undefined;
  const view = agentViewOf(ctx);
  return {
    view,
    presence: ctx.presence,
    hasRoom: Object.values(view.offerable).some((n) => (n ?? 0) > 0),
    holding: ctx.offers.length + ctx.active.length,
  };
}

/** A member of the queue with every skill it asks for (the bullseye's relaxations aside). */
export function servesQueue(agent: AgentOnQueue, queue: QueueConfig): boolean {
  return isMember(queue.members, agent.view) && queue.skills.every((s) => agent.view.skills.has(s));
}

function contextOf(snapshot: unknown): AgentContext | undefined {
  const ctx = (snapshot as { context?: Partial<AgentContext> } | null)?.context;
  if (!ctx || typeof ctx.presence !== 'string' || !Array.isArray(ctx.skills) || !Array.isArray(ctx.offers) || !Array.isArray(ctx.active)) return undefined;
  // Older snapshots lack the later profile fields: their defaults.
  return { proficiency: {}, languages: [], labels: {}, interruptibleBy: {}, capacity: {}, ...ctx } as AgentContext;
}
