import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useMigratedStore } from '../support/migrated-store.ts';
import { sql } from 'kysely';
import { claimEpoch, StepWrites } from '../../src/store/index.ts';

const tenant = 'acme';
const partition = 0;

/**
 * One actor step's writes go to PostgreSQL as one statement, where every part sees the
 * database as before it and a row may change once: these are the cases that would go
 * wrong without the merging.
 */
describe('StepWrites', () => {
  const database = useMigratedStore();

  const newCustomer = async () => {
    const id = randomUUID();
    await database.store.db.insertInto('customers').values({ id, tenant, name: null }).execute();
    return id;
  };
  const state = (s: string) => ({ state: s, queue: 'support', agentId: null, lastMessageAt: new Date(), closedAt: null, snapshot: { value: s } });
  const message = (conversationId: string, customerId: string, id = randomUUID()) => ({
    id,
    tenant,
    conversation_id: conversationId,
    customer_id: customerId,
    channel: 'whatsapp',
    direction: 'inbound' as const,
    platform_message_id: `wamid.${id}`,
    agent_id: null,
    text: 'hi',
    attachments: null,
    content: null,
    sent_at: new Date(),
    delivery_status: null,
    delivery_reason: null,
    delivery_updated_at: null,
  });
  const newConversation = async () => {
    const customerId = await newCustomer();
    const id = randomUUID();
    const writes = new StepWrites(database.store.db);
    writes.insertConversation({ id, tenant, channel: 'whatsapp', customer_id: customerId, external_id: `opaque:${id}`, partition }, state('queued'));
    await writes.flush();
    return { id, customerId };
  };
  const timerOf = (actorId: string) => database.store.db.selectFrom('timers').selectAll().where('actor_id', '=', actorId).executeTakeFirst();
  const assignment = (id: string) => database.store.db.selectFrom('assignments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('creates a conversation and its first message in one statement (the foreign key is checked at its end)', async () => {
    const customerId = await newCustomer();
    const id = randomUUID();
    const writes = new StepWrites(database.store.db);
    writes.insertConversation({ id, tenant, channel: 'whatsapp', customer_id: customerId, external_id: `opaque:${id}`, partition }, state('queued'));
    writes.insertMessage(message(id, customerId), { once: false });
    await writes.flush();
    const rows = await database.store.db.selectFrom('messages').select('conversation_id').where('conversation_id', '=', id).execute();
    expect(rows).toHaveLength(1);
  });

  it('keeps the last of a timer’s arms and cancels in one step', async () => {
    const { id } = await newConversation();
    const ref = { tenant, actorKind: 'conversation' as const, actorId: id, name: 'window' };
    const arm = (ms: number) => ({ partition, dueAt: new Date(Date.now() + ms), event: { type: 'window.expired', at: new Date().toISOString() } });

    const armThenCancel = new StepWrites(database.store.db);
    armThenCancel.armTimer(ref, arm(1_000));
    armThenCancel.cancelTimer(ref);
    await armThenCancel.flush();
    expect(await timerOf(id)).toBeUndefined();

    const cancelThenRearm = new StepWrites(database.store.db);
    const due = arm(60_000);
    cancelThenRearm.cancelTimer(ref);
    cancelThenRearm.armTimer(ref, arm(1_000));
    cancelThenRearm.armTimer(ref, due);
    await cancelThenRearm.flush();
    expect((await timerOf(id))?.due_at).toEqual(due.dueAt);
  });

  it('keeps two tenants’ timers of the same agent id and name apart', async () => {
    const name = `after-work:${randomUUID()}`;
    const ref = (t: string) => ({ tenant: t, actorKind: 'agent' as const, actorId: 'ana', name });
    for (const t of ['acme', 'globex']) {
      const writes = new StepWrites(database.store.db);
      writes.armTimer(ref(t), { partition, dueAt: new Date(Date.now() + 60_000), event: { type: 'after-work.done', at: new Date().toISOString() } });
      await writes.flush();
    }
    const cancel = new StepWrites(database.store.db);
    cancel.cancelTimer(ref('acme'));
    await cancel.flush();
    const rows = await database.store.db.selectFrom('timers').select('tenant').where('name', '=', name).execute();
    expect(rows.map((r) => r.tenant)).toEqual(['globex']);
  });

  it('writes an offer together with its outcome in the same step (an auto-accept)', async () => {
    const { id } = await newConversation();
    const offerId = randomUUID();
    const at = new Date();
    const writes = new StepWrites(database.store.db);
    writes.offer({ id: offerId, tenant, conversationId: id, agentId: 'ana', queue: 'support', offeredAt: at, mediaType: 'message', reason: { method: 'longest-idle' } });
    writes.updateAssignment(offerId, 'accepted', at);
    await writes.flush();
    expect(await assignment(offerId)).toMatchObject({ state: 'accepted', answered_at: at, agent_id: 'ana' });
  });

  it('merges two changes of one assignment in one step (its end and its wrap-up code)', async () => {
    const { id } = await newConversation();
    const offerId = randomUUID();
    const offered = new StepWrites(database.store.db);
    offered.offer({ id: offerId, tenant, conversationId: id, agentId: 'ana', queue: 'support', offeredAt: new Date(), mediaType: 'message', reason: {} });
    offered.updateAssignment(offerId, 'accepted', new Date());
    await offered.flush();

    const ended = new Date();
    const writes = new StepWrites(database.store.db);
    writes.setWrapUpCode(offerId, 'resolved');
    writes.updateAssignment(offerId, 'ended', ended);
    await writes.flush();
    expect(await assignment(offerId)).toMatchObject({ state: 'ended', ended_at: ended, wrap_up_code: 'resolved' });
  });

  it('writes a batch of timers and assignment changes of several actors, each to its own row', async () => {
    const [a, b, c] = [await newConversation(), await newConversation(), await newConversation()];
    const timer = (id: string) => ({ tenant, actorKind: 'conversation' as const, actorId: id, name: 'window' });
    const due = (ms: number) => new Date(Date.now() + ms);
    const earlier = new StepWrites(database.store.db);
    earlier.armTimer(timer(c.id), { partition, dueAt: due(1_000), event: { type: 'window.expired', at: 'c' } });
    const [accepted, ended, offered] = [randomUUID(), randomUUID(), randomUUID()];
    earlier.offer({ id: accepted, tenant, conversationId: a.id, agentId: 'ana', queue: 'support', offeredAt: new Date(), mediaType: 'message', reason: {} });
    earlier.updateAssignment(accepted, 'accepted', new Date());
    earlier.offer({ id: ended, tenant, conversationId: b.id, agentId: 'bob', queue: 'support', offeredAt: new Date(), mediaType: 'message', reason: {} });
    earlier.updateAssignment(ended, 'accepted', new Date());
    earlier.updateAssignment(ended, 'ended', new Date());
    await earlier.flush();

    const at = new Date();
    const writes = new StepWrites(database.store.db);
    writes.armTimer(timer(a.id), { partition, dueAt: due(60_000), event: { type: 'window.expired', at: 'a' } });
    writes.armTimer(timer(b.id), { partition, dueAt: due(120_000), event: { type: 'window.expired', at: 'b' } });
    writes.armTimer({ ...timer(b.id), name: 'ring' }, { partition, dueAt: due(5_000), event: { type: 'ring.advance', at: 'b' } });
    writes.cancelTimer(timer(c.id));
    writes.offer({ id: offered, tenant, conversationId: c.id, agentId: 'cy', queue: null, offeredAt: at, mediaType: 'message', reason: { method: 'rotation' } });
    writes.updateAssignment(accepted, 'ended', at);
    writes.setWrapUpCode(ended, 'resolved');
    await writes.flush();

    const timers = await database.store.db.selectFrom('timers').select(['actor_id', 'name', 'event']).where('actor_id', 'in', [a.id, b.id, c.id]).orderBy('due_at').execute();
    expect(timers).toEqual([
      { actor_id: b.id, name: 'ring', event: { type: 'ring.advance', at: 'b' } },
      { actor_id: a.id, name: 'window', event: { type: 'window.expired', at: 'a' } },
      { actor_id: b.id, name: 'window', event: { type: 'window.expired', at: 'b' } },
    ]);
    expect(await assignment(offered)).toMatchObject({ state: 'offered', offered_at: at, queue: null, agent_id: 'cy', reason: { method: 'rotation' }, answered_at: null });
    expect(await assignment(accepted)).toMatchObject({ state: 'ended', ended_at: at, wrap_up_code: null });
    // Only its code changed: its state and times are as they were.
    const wrapped = await assignment(ended);
    expect(wrapped).toMatchObject({ state: 'ended', wrap_up_code: 'resolved' });
    expect(wrapped.answered_at).not.toBeNull();
    expect(wrapped.ended_at).not.toBeNull();
  });

  it('returns the outbox rows in the order queued, with string ids', async () => {
    const { id } = await newConversation();
    const writes = new StepWrites(database.store.db);
    writes.saveConversation(id, state('offered'));
    const row = (n: number) => ({ tenant, partition, kind: 'actor' as const, target_kind: 'agent' as const, target_id: 'ana', subject: null, msg_id: null, payload: JSON.stringify({ n }) });
    writes.queueOutbox([row(1), row(2), row(3)]);
    const rows = await writes.flush();
    expect(rows.map((r) => r.payload)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(rows.every((r) => typeof r.id === 'string')).toBe(true);
    expect(Number(rows[0]?.id)).toBeLessThan(Number(rows[2]?.id));
  });

  it('stores a repeated agent message once, and fails the step on a customer message stored meanwhile', async () => {
    const { id, customerId } = await newConversation();
    const m = message(id, customerId);
    for (let i = 0; i < 2; i++) {
      const writes = new StepWrites(database.store.db);
      writes.insertMessage(m, { once: true });
      await writes.flush();
    }
    const again = new StepWrites(database.store.db);
    again.saveConversation(id, state('closed'));
    again.insertMessage(m, { once: false });
    await expect(again.flush()).rejects.toThrow(/duplicate key/);
    // The statement failed as a whole: the conversation's save did not happen either.
    const conversation = await database.store.db.selectFrom('conversations').select('state').where('id', '=', id).executeTakeFirstOrThrow();
    expect(conversation.state).toBe('queued');
    expect(await database.store.db.selectFrom('messages').select('id').where('id', '=', m.id).execute()).toHaveLength(1);
  });

  it('reads the fence’s epochs with the writes, FOR SHARE, with or without outbox rows', async () => {
    await claimEpoch(database.store.db, 7, 4, 'router-a');
    await claimEpoch(database.store.db, 8, 2, 'router-a');
    const { id } = await newConversation();
    const outboxRow = { tenant, partition, kind: 'actor' as const, target_kind: 'agent' as const, target_id: 'ana', subject: null, msg_id: null, payload: '{}' };
    await database.store.db.transaction().execute(async (tx) => {
      const writes = new StepWrites(tx);
      writes.saveConversation(id, state('offered'));
      writes.queueOutbox([outboxRow, outboxRow]);
      const flushed = await writes.flushFenced([7, 8, 9]);
      expect(flushed.outbox).toHaveLength(2);
      // Partition 9 was never claimed: it has no epoch.
      expect(flushed.epochs).toEqual(new Map([[7, 4], [8, 2]]));
      // A claim of partition 7 (an update of its epoch row) waits for this transaction.
      const claim = await database.store.db.connection().execute(async (conn) => {
        await sql`set lock_timeout = '100ms'`.execute(conn);
        return claimEpoch(conn, 7, 5, 'router-b').then(
          () => 'claimed',
          (err: Error) => err.message,
        );
      });
      expect(claim).toMatch(/lock timeout/);
    });
    const writes = new StepWrites(database.store.db);
    writes.saveConversation(id, state('connected'));
    expect((await writes.flushFenced([8])).epochs).toEqual(new Map([[8, 2]]));
  });
});
