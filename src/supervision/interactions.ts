import { sql, type Kysely, type RawBuilder } from 'kysely';
import { IdTypes } from '../contract/index.ts';
import type { Database } from '../store/index.ts';
import type { Interaction } from './views.ts';

export interface InteractionFilter {
  tenant: string;
  from?: Date | undefined;
  to?: Date | undefined;
  channel?: string | undefined;
  queue?: string | undefined;
  agent?: string | undefined;
  wrapUpCode?: string | undefined;
  campaign?: string | undefined;
  direction?: 'inbound' | 'outbound' | undefined;
  /** A customer id (UUID), or an address: a phone number, an e-mail, or a channel id (`<idType>:<id>`). */
  customer?: string | undefined;
  /** Only this conversation (whether one caller may see it). */
  conversationId?: string | undefined;
  /**
   * An agent's own scope: only conversations offered to this agent or that went through
   * one of these queues; no agentless outbound rows. Undefined for staff (the tenant).
   */
  visibleTo?: { agentId: string; queues: readonly string[] } | undefined;
}

/** Where the previous page ended: its last row's start and id. */
export interface InteractionCursor {
  startedAt: Date;
  id: string;
}

interface Row {
  kind: Interaction['kind'];
  id: string;
  conversation_id: string;
  direction: Interaction['direction'];
  channel: string;
  queue: string | null;
  status: string;
  customer_id: string | null;
  customer_name: string | null;
  address: string | null;
  campaign: string | null;
  agents: string[] | null;
  wrap_up_code: string | null;
  started_at: Date;
  ended_at: Date | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A page of interactions, newest first, after `cursor` (keyset on start time and id: a
 * page costs the same on the first day and the thousandth). Each source — conversations,
 * notifications, campaign attempts — is filtered by its own indexed columns before the
 * union, and filters that cannot apply to a source (an agent for a notification) drop it.
 */
export async function searchInteractions(db: Kysely<Database>, f: InteractionFilter, limit: number, cursor?: InteractionCursor): Promise<Interaction[]> {
  const parts = [conversationsPart(f, cursor), notificationsPart(f, cursor), campaignAttemptsPart(f, cursor)].filter((p): p is RawBuilder<Row> => p !== undefined);
  const { rows } = await sql<Row>`
    SELECT * FROM (${sql.join(parts, sql` UNION ALL `)}) i
    ORDER BY started_at DESC, id DESC
    LIMIT ${limit}`.execute(db);
  return rows.map(toInteraction);
}

/**
 * A conversation Parley's side opened: an agent started it, or it is the reply to a
 * campaign message or a notification (`ca`, `n`: the lateral joins below).
 */
const OUTBOUND = sql`(c.started_by = 'agent' OR ca.campaign IS NOT NULL OR n.id IS NOT NULL)`;

function conversationsPart(f: InteractionFilter, cursor: InteractionCursor | undefined): RawBuilder<Row> | undefined {
  const where: RawBuilder<unknown>[] = [sql`c.tenant = ${f.tenant}`, ...timeRange(sql`c.created_at`, sql`c.id::text`, f, cursor)];
  if (f.conversationId) where.push(sql`c.id = ${f.conversationId}::uuid`);
  if (f.channel) where.push(sql`c.channel = ${f.channel}`);
  if (f.queue) where.push(sql`(c.queue = ${f.queue} OR EXISTS (SELECT 1 FROM assignments a WHERE a.tenant = c.tenant AND a.conversation_id = c.id AND a.queue = ${f.queue}))`);
  if (f.agent) where.push(sql`EXISTS (SELECT 1 FROM assignments a WHERE a.tenant = c.tenant AND a.conversation_id = c.id AND a.agent_id = ${f.agent} AND a.answered_at IS NOT NULL)`);
  if (f.wrapUpCode) where.push(sql`EXISTS (SELECT 1 FROM assignments a WHERE a.tenant = c.tenant AND a.conversation_id = c.id AND a.wrap_up_code = ${f.wrapUpCode})`);
  if (f.campaign) where.push(sql`ca.campaign = ${f.campaign}`);
  if (f.direction === 'inbound') where.push(sql`NOT ${OUTBOUND}`);
  if (f.direction === 'outbound') where.push(OUTBOUND);
  if (f.customer) where.push(UUID.test(f.customer) ? sql`c.customer_id = ${f.customer}::uuid` : sql`c.customer_id IN (${customersAt(f.tenant, f.customer)})`);
  if (f.visibleTo) {
    const { agentId, queues } = f.visibleTo;
    where.push(sql`(EXISTS (SELECT 1 FROM assignments a WHERE a.tenant = c.tenant AND a.conversation_id = c.id AND (a.agent_id = ${agentId}${queues.length > 0 ? sql` OR a.queue = ANY(${[...queues]}::text[])` : sql``}))${queues.length > 0 ? sql` OR c.queue = ANY(${[...queues]}::text[])` : sql``})`);
  }
  return sql<Row>`
    SELECT 'conversation' AS kind, c.id::text AS id, c.id AS conversation_id,
      CASE WHEN ${OUTBOUND} THEN 'outbound' ELSE 'inbound' END AS direction,
      c.channel, c.queue, c.state AS status, c.customer_id, cu.name AS customer_name, n.recipient AS address, ca.campaign,
      ARRAY(SELECT a.agent_id FROM assignments a WHERE a.tenant = c.tenant AND a.conversation_id = c.id AND a.answered_at IS NOT NULL ORDER BY a.answered_at) AS agents,
      (SELECT a.wrap_up_code FROM assignments a WHERE a.tenant = c.tenant AND a.conversation_id = c.id AND a.wrap_up_code IS NOT NULL ORDER BY a.ended_at DESC NULLS LAST LIMIT 1) AS wrap_up_code,
      c.created_at AS started_at, c.closed_at AS ended_at
    FROM conversations c
    LEFT JOIN customers cu ON cu.id = c.customer_id AND cu.tenant = c.tenant
    LEFT JOIN LATERAL (SELECT campaign FROM campaign_attempts WHERE tenant = c.tenant AND conversation_id = c.id LIMIT 1) ca ON true
    LEFT JOIN LATERAL (SELECT id, recipient FROM notifications WHERE tenant = c.tenant AND conversation_id = c.id LIMIT 1) n ON true
    WHERE ${sql.join(where, sql` AND `)}`;
}

/** Notifications whose recipient never wrote back (those that did are their conversation's row). */
function notificationsPart(f: InteractionFilter, cursor: InteractionCursor | undefined): RawBuilder<Row> | undefined {
  if (f.visibleTo || f.conversationId || f.queue || f.agent || f.wrapUpCode || f.campaign || f.direction === 'inbound') return undefined;
  const where: RawBuilder<unknown>[] = [sql`n.tenant = ${f.tenant}`, ...timeRange(sql`n.created_at`, sql`n.id::text`, f, cursor), sql`NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = n.conversation_id)`];
  if (f.channel) where.push(sql`n.channel = ${f.channel}`);
  if (f.customer) where.push(UUID.test(f.customer) ? sql`false` : sql`n.recipient = ${f.customer}`);
  return sql<Row>`
    SELECT 'notification' AS kind, n.id::text AS id, n.conversation_id, 'outbound' AS direction, n.channel, NULL::text AS queue, n.status,
      NULL::uuid AS customer_id, NULL::text AS customer_name, n.recipient AS address, NULL::text AS campaign, '{}'::text[] AS agents, NULL::text AS wrap_up_code,
      n.created_at AS started_at, CASE WHEN n.status IN ('delivered', 'read', 'failed', 'refused') THEN n.status_at END AS ended_at
    FROM notifications n
    WHERE ${sql.join(where, sql` AND `)}`;
}

/** Campaign messages sent or tried (not those still waiting their turn) whose contact never wrote back. */
function campaignAttemptsPart(f: InteractionFilter, cursor: InteractionCursor | undefined): RawBuilder<Row> | undefined {
  if (f.visibleTo || f.conversationId || f.queue || f.agent || f.wrapUpCode || f.direction === 'inbound') return undefined;
  const where: RawBuilder<unknown>[] = [
    sql`a.tenant = ${f.tenant}`,
    sql`a.status <> 'waiting'`,
    ...timeRange(sql`a.attempted_at`, sql`a.message_id::text`, f, cursor),
    sql`NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = a.conversation_id)`,
  ];
  if (f.channel) where.push(sql`a.channel = ${f.channel}`);
  if (f.campaign) where.push(sql`a.campaign = ${f.campaign}`);
  if (f.customer) where.push(UUID.test(f.customer) ? sql`false` : sql`a.address = ${f.customer}`);
  return sql<Row>`
    SELECT 'campaign' AS kind, a.message_id::text AS id, a.conversation_id, 'outbound' AS direction, a.channel, NULL::text AS queue, coalesce(a.final_status, a.status) AS status,
      NULL::uuid AS customer_id, NULL::text AS customer_name, a.address, a.campaign, '{}'::text[] AS agents, NULL::text AS wrap_up_code,
      a.attempted_at AS started_at, a.final_at AS ended_at
    FROM campaign_attempts a
    WHERE ${sql.join(where, sql` AND `)}`;
}

function timeRange(at: RawBuilder<unknown>, id: RawBuilder<unknown>, f: InteractionFilter, cursor: InteractionCursor | undefined): RawBuilder<unknown>[] {
  const where: RawBuilder<unknown>[] = [];
  if (f.from) where.push(sql`${at} >= ${f.from}`);
  if (f.to) where.push(sql`${at} < ${f.to}`);
  if (cursor) where.push(sql`(${at}, ${id}) < (${cursor.startedAt}::timestamptz, ${cursor.id})`);
  return where;
}

/** The customers one address identifies: by phone or e-mail across channels, or by a channel's id of them. */
function customersAt(tenant: string, address: string): RawBuilder<unknown> {
  const values = [address, address.toLowerCase(), ...IdTypes.map((t) => `${t}:${address}`)];
  return sql`SELECT customer_id FROM identities WHERE tenant = ${tenant} AND value = ANY(${values}::text[])`;
}

function toInteraction(r: Row): Interaction {
  return {
    id: r.id,
    kind: r.kind,
    conversationId: r.conversation_id,
    direction: r.direction,
    channel: r.channel,
    queue: r.queue,
    status: r.status,
    customerId: r.customer_id,
    customerName: r.customer_name,
    address: r.address,
    campaign: r.campaign,
    agents: r.agents ?? [],
    wrapUpCode: r.wrap_up_code,
    startedAt: new Date(r.started_at).toISOString(),
    endedAt: r.ended_at === null ? null : new Date(r.ended_at).toISOString(),
  };
}
