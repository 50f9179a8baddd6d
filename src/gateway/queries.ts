import { sql, type Kysely, type Transaction } from 'kysely';
import type { Attachment, RichContent } from '../contract/index.ts';
import { agentSnapshot, customerHistory } from '../store/index.ts';
import type { Database } from '../store/index.ts';
import { agentView } from './agent-view.ts';
import type { AgentView, AssignmentView, ConversationView, HistoryMessage } from './views.ts';

/**
 * The gateway's reads. Every query takes the tenant from the caller's token and filters
 * by it: a row of another tenant is indistinguishable from a row that does not exist.
 */

type Db = Kysely<Database> | Transaction<Database>;

// Ids are `uuid` columns: PostgreSQL rejects anything else with an error, which must read
// as "no such row" rather than a 500.
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function looksLikeUuid(id: string): boolean {
  return uuidPattern.test(id);
}

export async function findAgent(db: Db, tenant: string, agentId: string): Promise<AgentView | undefined> {
  const row = await db
    .selectFrom('agents')
    .select(['id', 'name', 'presence', agentSnapshot().as('snapshot')])
    .where('tenant', '=', tenant)
    .where('id', '=', agentId)
    .executeTakeFirst();
  return row && agentView(row);
}

/** Every agent of the tenant, by id: the staff view of `GET /v1/agents` and the supervisor stream's board. */
export async function listAgents(db: Db, tenant: string): Promise<AgentView[]> {
  const rows = await db.selectFrom('agents').select(['id', 'name', 'presence', agentSnapshot().as('snapshot')]).where('tenant', '=', tenant).orderBy('id').execute();
  return rows.map(agentView);
}

export async function findConversation(db: Db, tenant: string, id: string): Promise<ConversationView | undefined> {
  if (!looksLikeUuid(id)) return undefined;
  const row = await db
    .selectFrom('conversations')
    .select(['id', 'channel', 'state', 'queue', 'agent_id', 'customer_id', 'created_at', 'last_message_at', 'closed_at'])
    // Set once, when a campaign reply opens the conversation (conversation context `campaign`).
    .select(sql<string | null>`snapshot->'context'->>'campaign'`.as('campaign'))
    .where('tenant', '=', tenant)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    channel: row.channel,
    state: row.state,
    queue: row.queue,
    agentId: row.agent_id,
    customerId: row.customer_id,
    createdAt: iso(row.created_at),
    lastMessageAt: iso(row.last_message_at),
    closedAt: row.closed_at === null ? null : iso(row.closed_at),
    optedOut: await optOutOf(db, tenant, row.customer_id),
    campaign: row.campaign,
  };
}

/**
 * Whether the customer opted out, through any of their addresses (the phone and e-mail
 * identities that link them across channels): the latest opt-out still in force.
 */
export async function optOutOf(db: Db, tenant: string, customerId: string): Promise<ConversationView['optedOut']> {
  const row = await db
    .selectFrom('consent_states as s')
    .innerJoin('consent_events as e', 'e.id', 's.event_id')
    .select(['s.changed_at', 'e.channel'])
    .where('s.tenant', '=', tenant)
    .where('s.state', '=', 'opted-out')
    .where('s.address', 'in', (eb) =>
      eb.selectFrom('identities').select('value').where('tenant', '=', tenant).where('customer_id', '=', customerId).where('kind', 'in', ['phone', 'email']),
    )
    .orderBy('s.changed_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? { since: iso(row.changed_at), channel: row.channel } : null;
}

/** Whether the agent was ever offered this conversation (any assignment state). */
export async function wasOffered(db: Db, tenant: string, conversationId: string, agentId: string): Promise<boolean> {
  const row = await db
    .selectFrom('assignments')
    .select('id')
    .where('tenant', '=', tenant)
    .where('conversation_id', '=', conversationId)
    .where('agent_id', '=', agentId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Every message of the customer, across all their conversations and channels, oldest
 * first (the store's history query, which filters by tenant), as the API shows it.
 */
export async function historyOf(db: Kysely<Database>, tenant: string, customerId: string): Promise<HistoryMessage[]> {
  const rows = await customerHistory(db, tenant, customerId);
  return rows.map((row) => {
    const message: HistoryMessage = {
      id: row.id,
      conversationId: row.conversation_id,
      direction: row.direction,
      channel: row.channel,
      sentAt: iso(row.sent_at),
    };
    if (row.platform_message_id !== null) message.providerMessageId = row.platform_message_id;
    if (row.agent_id !== null) message.agentId = row.agent_id;
    if (row.text !== null) message.text = row.text;
    if (row.attachments !== null) message.attachments = row.attachments as Attachment[];
    if (row.content !== null) message.content = row.content as RichContent[];
    if (row.direction === 'outbound') {
      if (row.delivery_status !== null) message.deliveryStatus = row.delivery_status;
      if (row.delivery_reason !== null) message.deliveryReason = row.delivery_reason;
    }
    return message;
  });
}

// timestamptz comes back as a Date from both pg and PGlite; a string would mean a driver
// configured differently, which we still render faithfully.
function iso(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

/** Every offer of a conversation, oldest first, with the routing decision behind it. */
export async function assignmentsOf(db: Db, tenant: string, conversationId: string): Promise<AssignmentView[]> {
  const rows = await db
    .selectFrom('assignments')
    .selectAll()
    .where('tenant', '=', tenant)
    .where('conversation_id', '=', conversationId)
    .orderBy('offered_at')
    .execute();
  return rows.map((r) => ({
    offerId: r.id,
    agentId: r.agent_id,
    queue: r.queue,
    state: r.state,
    offeredAt: r.offered_at.toISOString(),
    answeredAt: r.answered_at?.toISOString() ?? null,
    endedAt: r.ended_at?.toISOString() ?? null,
    wrapUpCode: r.wrap_up_code,
    reason: r.reason,
  }));
}
