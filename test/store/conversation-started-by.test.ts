import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as startedBy from '../../src/store/migrations/2026-12-08T0401-inter-conversation-started-by.ts';
import { StepWrites } from '../../src/store/index.ts';
import { useMigratedStore } from '../support/migrated-store.ts';

const tenant = 'acme';

/**
 * `conversations.started_by` (the interactions view's `outbound` for agent-started
 * conversations): written when the conversation is created, and backfilled by the
 * migration for rows from before it.
 */
describe('who started a conversation', () => {
  const database = useMigratedStore();
  const db = () => database.store.db;
  const state = (s: string, context: Record<string, unknown> = {}) => ({ state: s, queue: 'support', agentId: null, lastMessageAt: new Date(), closedAt: null, snapshot: { value: s, context } });

  const conversation = async (options: { startedBy?: 'agent'; context?: Record<string, unknown> } = {}) => {
    const customerId = randomUUID();
    await db().insertInto('customers').values({ id: customerId, tenant, name: null }).execute();
    const id = randomUUID();
    const writes = new StepWrites(db());
    writes.insertConversation({ id, tenant, channel: 'sms', customer_id: customerId, external_id: `phone:${id}`, partition: 0, ...(options.startedBy && { started_by: options.startedBy }) }, state('connected', options.context));
    await writes.flush();
    return { id, customerId };
  };
  const assignment = (conversationId: string, at: string, method: string) =>
    db()
      .insertInto('assignments')
      .values({ id: randomUUID(), tenant, conversation_id: conversationId, agent_id: 'ana', queue: null, state: 'accepted', offered_at: at, answered_at: at, ended_at: null, reason: JSON.stringify({ method, candidates: 1 }) })
      .execute();
  const message = (c: { id: string; customerId: string }, at: string) =>
    db()
      .insertInto('messages')
      .values({ id: randomUUID(), tenant, conversation_id: c.id, customer_id: c.customerId, channel: 'sms', direction: 'inbound', platform_message_id: randomUUID(), agent_id: null, text: 'hi', attachments: null, content: null, sent_at: at, delivery_status: null, delivery_reason: null, delivery_updated_at: null })
      .execute();
  const startedByOf = async (id: string) => (await db().selectFrom('conversations').select('started_by').where('id', '=', id).executeTakeFirstOrThrow()).started_by;

  it('is the customer unless the creating step says an agent', async () => {
    expect(await startedByOf((await conversation()).id)).toBe('customer');
    expect(await startedByOf((await conversation({ startedBy: 'agent' })).id)).toBe('agent');
  });

  it('the migration backfills agent starts, and leaves a customer’s conversation an agent continued', async () => {
    const started = await conversation();
    await assignment(started.id, '2026-12-01T10:00:00Z', 'agent-started');
    await message(started, '2026-12-01T10:05:00Z');
    const continued = await conversation();
    await message(continued, '2026-12-01T09:00:00Z');
    await assignment(continued.id, '2026-12-01T09:01:00Z', 'longest-idle');
    await assignment(continued.id, '2026-12-02T09:00:00Z', 'agent-started');
    const refused = await conversation({ context: { closeReason: 'notStarted' } });
    const routed = await conversation();
    await message(routed, '2026-12-01T08:00:00Z');
    await assignment(routed.id, '2026-12-01T08:01:00Z', 'longest-idle');

    await startedBy.down(db());
    await startedBy.up(db());

    expect(await startedByOf(started.id)).toBe('agent');
    expect(await startedByOf(refused.id)).toBe('agent');
    expect(await startedByOf(continued.id)).toBe('customer');
    expect(await startedByOf(routed.id)).toBe('customer');
  });
});
