import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import * as agentSlots from '../../src/store/migrations/2026-12-11T0101-agent-slots-in-assignments.ts';
import { agentSnapshot, claimEpoch } from '../../src/store/index.ts';
import type { AgentContext } from '../../src/agent/context.ts';
import type { AgentActorEvent } from '../../src/agent/events.ts';
import { useMigratedStore } from '../support/migrated-store.ts';
import { actorHost } from '../support/actor-host.ts';
import { queuedConversations } from '../support/queued-conversations.ts';
import { quietHooks } from '../support/quiet-hooks.ts';

const tenant = 'acme';
const partition = 3;

/**
 * An agent's active conversations are its assignments that hold a slot, not a list in its
 * snapshot row: the row stays the same size whatever the agent's load, and the agent read
 * back (`agentSnapshot`) is the agent its actor held.
 */
describe("an agent's slots", () => {
  const database = useMigratedStore();
  const db = () => database.store.db;
  const rowOf = async (id: string) => {
    const row = await db()
      .selectFrom('agents')
      .select(['snapshot', sql<number>`octet_length(snapshot::text)`.as('bytes'), agentSnapshot().as('held')])
      .where('tenant', '=', tenant)
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return { stored: row.snapshot as { context: Record<string, unknown> }, bytes: Number(row.bytes), held: row.held as { context: AgentContext } };
  };

  it('keeps the row the same size as the agent takes conversations, and reads them back from its assignments', async () => {
    await claimEpoch(db(), partition, 1, 'router-a');
    const host = actorHost(db(), quietHooks, { epochOf: () => 1 });
    const agent = `agent-${randomUUID()}`;
    const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 10, minute)).toISOString();
    const send = (event: AgentActorEvent) => host.send({ kind: 'agent', tenant, id: agent, partition, event });
    await send({ type: 'agent.configure', at: at(0), commandId: randomUUID(), name: 'Ana', skills: [], capacity: { message: 30 }, autoAccept: true });
    await send({ type: 'presence.set', at: at(0), commandId: randomUUID(), presence: 'available' });
    const taken = await queuedConversations(db(), tenant, 25);
    const sizes: number[] = [];
    for (const [i, conversationId] of taken.entries()) {
      await send({
        type: 'offer.request',
        at: at(1 + i),
        offerId: randomUUID(),
        conversationId,
        mediaType: 'message',
        queue: 'sales',
        channel: 'whatsapp',
        channelType: 'whatsapp',
        customerId: randomUUID(),
        timeoutMs: 30_000,
        reason: { method: 'longest-idle', candidates: 1 },
      });
      sizes.push((await rowOf(agent)).bytes);
    }
    expect(new Set(sizes).size).toBe(1);
    const { stored, held } = await rowOf(agent);
    expect(stored.context).not.toHaveProperty('active');
    expect(held.context.active.map((a) => a.conversationId)).toEqual(taken);
    expect(held.context.active[24]).toMatchObject({ mediaType: 'message', since: at(25) });

    // After-conversation work keeps the slot held, with its end; its end frees it.
    await send({ type: 'assignment.release', at: at(30), conversationId: taken[0] as string, afterWorkMs: 90_000 });
    await send({ type: 'assignment.release', at: at(30), conversationId: taken[1] as string });
    const afterWork = (await rowOf(agent)).held.context.active;
    expect(afterWork).toHaveLength(24);
    expect(afterWork[0]).toMatchObject({ conversationId: taken[0], afterWorkUntil: '2026-12-01T10:31:30.000Z' });
    await send({ type: 'after-work.done', at: at(32), conversationId: taken[0] as string });
    expect((await rowOf(agent)).held.context.active.map((a) => a.conversationId)).toEqual(taken.slice(2));
    expect((await rowOf(agent)).bytes).toBe(sizes[0]);
  });

  it('the migration moves the lists of rows written before it to the assignments, and reads back the same agents', async () => {
    const [accepted, afterWork, unrecorded] = (await queuedConversations(db(), tenant, 3)) as [string, string, string];
    const agent = `agent-${randomUUID()}`;
    const offers = [randomUUID(), randomUUID(), randomUUID()] as const;
    for (const [i, conversationId] of [accepted, afterWork].entries()) {
      await db()
        .insertInto('assignments')
        .values({ id: offers[i] as string, tenant, conversation_id: conversationId, agent_id: agent, queue: 'sales', state: i === 0 ? 'accepted' : 'ended', offered_at: '2026-12-01T09:00:00Z', answered_at: '2026-12-01T09:00:00Z', ended_at: null, reason: '{}' })
        .execute();
    }
    const active = [
      { conversationId: accepted, offerId: offers[0], mediaType: 'message', since: '2026-12-01T09:00:00.000Z' },
      { conversationId: afterWork, offerId: offers[1], mediaType: 'email', since: '2026-12-01T09:00:00.000Z', afterWorkUntil: '2026-12-01T09:10:00.000Z' },
      // Accepted before assignments were kept: recorded by the migration.
      { conversationId: unrecorded, offerId: offers[2], mediaType: 'message', since: '2026-12-01T09:05:00.000Z' },
    ].sort((a, b) => a.since.localeCompare(b.since) || a.offerId.localeCompare(b.offerId));
    const context = { tenant, id: agent, presence: 'available', offers: [], active };

    await agentSlots.down(db());
    await db()
      .insertInto('agents')
      .values({ tenant, id: agent, name: agent, presence: 'available', partition, updated_at: new Date(), snapshot: JSON.stringify({ value: 'available', context }) })
      .execute();
    await agentSlots.up(db());

    const { stored, held } = await rowOf(agent);
    expect(stored.context).not.toHaveProperty('active');
    expect(held.context).toEqual(context);
    const rows = await db().selectFrom('assignments').select(['id', 'state', 'holds_slot']).where('agent_id', '=', agent).orderBy('id').execute();
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.holds_slot)).toBe(true);
  });
});
