import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AgentContext } from '../../src/agent/context.ts';
import type { Database } from '../../src/store/index.ts';

/** Rows the router would have written, inserted directly for the gateway to read. */

export async function seedCustomer(db: Kysely<Database>, tenant: string): Promise<string> {
  const id = randomUUID();
  await db.insertInto('customers').values({ id, tenant, name: 'Test Customer' }).execute();
  return id;
}

export interface ConversationSeed {
  tenant: string;
  customerId: string;
  channel?: string;
  agentId?: string | null;
  state?: string;
  queue?: string | null;
  createdAt?: string;
  closedAt?: string | null;
  /** `agent`: started by an agent (`POST /v1/conversations`). @default "customer" */
  startedBy?: 'customer' | 'agent';
}

export async function seedConversation(db: Kysely<Database>, seed: ConversationSeed): Promise<string> {
  const id = randomUUID();
  const createdAt = seed.createdAt ?? '2026-11-20T09:00:00.000Z';
  await db
    .insertInto('conversations')
    .values({
      id,
      tenant: seed.tenant,
      channel: seed.channel ?? 'web-chat',
      customer_id: seed.customerId,
      external_id: `ext-${id}`,
      state: seed.state ?? 'assigned',
      queue: seed.queue === undefined ? 'support' : seed.queue,
      agent_id: seed.agentId ?? null,
      last_message_at: createdAt,
      created_at: createdAt,
      closed_at: seed.closedAt ?? null,
      started_by: seed.startedBy ?? 'customer',
      snapshot: JSON.stringify({ value: 'assigned', context: {} }),
    })
    .execute();
  return id;
}

export interface MessageSeed {
  tenant: string;
  conversationId: string;
  customerId: string;
  channel: string;
  direction: 'inbound' | 'outbound';
  sentAt: string;
  text?: string;
  agentId?: string;
  deliveryStatus?: string;
  deliveryReason?: string;
}

export async function seedMessage(db: Kysely<Database>, seed: MessageSeed): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('messages')
    .values({
      id,
      tenant: seed.tenant,
      conversation_id: seed.conversationId,
      customer_id: seed.customerId,
      channel: seed.channel,
      direction: seed.direction,
      platform_message_id: seed.direction === 'inbound' ? `pm-${id}` : null,
      agent_id: seed.agentId ?? null,
      text: seed.text ?? null,
      attachments: null,
      content: null,
      sent_at: seed.sentAt,
      delivery_status: seed.deliveryStatus ?? null,
      delivery_reason: seed.deliveryReason ?? null,
      delivery_updated_at: seed.deliveryStatus ? seed.sentAt : null,
    })
    .execute();
  return id;
}

/**
 * An agent as its actor stores it: the snapshot row without its `active` list, and for
 * each conversation in it an assignment holding a slot (with a conversation to point to,
 * unless the test seeded it).
 */
export async function seedAgent(db: Kysely<Database>, context: AgentContext): Promise<void> {
  const { active, ...stored } = context;
  await db
    .insertInto('agents')
    .values({
      tenant: context.tenant,
      id: context.id,
      name: context.name,
      presence: context.presence,
      // The shape XState persists: the state value, the context and bookkeeping fields.
      snapshot: JSON.stringify({ status: 'active', value: context.presence, context: stored, historyValue: {} }),
      updated_at: new Date().toISOString(),
    })
    .execute();
  if (active.length === 0) return;
  const customerId = await seedCustomer(db, context.tenant);
  for (const held of active) {
    await db
      .insertInto('conversations')
      .values({ id: held.conversationId, tenant: context.tenant, channel: 'web-chat', customer_id: customerId, external_id: `ext-${held.conversationId}`, state: 'assigned', queue: 'support', agent_id: context.id, last_message_at: held.since, closed_at: null, snapshot: '{}' })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    await db
      .insertInto('assignments')
      .values({
        id: held.offerId,
        tenant: context.tenant,
        conversation_id: held.conversationId,
        agent_id: context.id,
        queue: 'support',
        state: held.afterWorkUntil ? 'ended' : 'accepted',
        offered_at: held.since,
        answered_at: held.since,
        ended_at: null,
        reason: JSON.stringify({ method: 'longest-idle' }),
        media_type: held.mediaType,
        holds_slot: true,
        after_work_until: held.afterWorkUntil ?? null,
      })
      .execute();
  }
}

export function agentContext(tenant: string, id: string, overrides: Partial<AgentContext> = {}): AgentContext {
  return {
    tenant,
    id,
    name: `Agent ${id}`,
    skills: ['billing'],
    proficiency: {},
    languages: [],
    labels: {},
    interruptibleBy: {},
    autoAccept: false,
    awayAfterMissedOffers: 3,
    missedOffers: 0,
    lastAssignedAt: '2026-11-22T06:00:00.000Z',
    capacity: { message: 2 },
    presence: 'available',
    offers: [],
    active: [],
    lastActivityAt: '2026-11-22T08:00:00.000Z',
    ...overrides,
  };
}

export async function seedAssignment(
  db: Kysely<Database>,
  seed: { tenant: string; conversationId: string; agentId: string; state?: 'offered' | 'accepted' | 'rejected' | 'ended' },
): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('assignments')
    .values({
      id,
      tenant: seed.tenant,
      conversation_id: seed.conversationId,
      agent_id: seed.agentId,
      queue: 'support',
      state: seed.state ?? 'ended',
      offered_at: '2026-11-20T09:00:05.000Z',
      answered_at: null,
      ended_at: null,
      reason: JSON.stringify({ method: 'longest-idle' }),
    })
    .execute();
  return id;
}
