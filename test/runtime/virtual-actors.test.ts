import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { useTwoStores } from '../support/migrated-store.ts';
import { actorHost } from '../support/actor-host.ts';
import { queuedConversations } from '../support/queued-conversations.ts';
import { quietHooks } from '../support/quiet-hooks.ts';
import type { ParleyError } from '../../src/contract/index.ts';
import { actorKey, type HostHooks } from '../../src/runtime/index.ts';
import { agentSnapshot, claimEpoch, type Database } from '../../src/store/index.ts';
import type { AgentContext } from '../../src/agent/context.ts';
import type { AgentActorEvent, OfferRequest } from '../../src/agent/events.ts';

const tenant = 'acme';
const at = '2026-12-01T10:00:00.000Z';

const configure = (name: string, slots = 1): AgentActorEvent => ({ type: 'agent.configure', at, commandId: randomUUID(), name, skills: [], capacity: { message: slots } });
const presence = (value: 'available' | 'away'): AgentActorEvent => ({ type: 'presence.set', at, commandId: randomUUID(), presence: value });
const offer = (conversationId: string, offerId: string = randomUUID()): OfferRequest => ({
  type: 'offer.request',
  at,
  offerId,
  conversationId,
  mediaType: 'message',
  queue: 'sales',
  channel: 'whatsapp',
  channelType: 'whatsapp',
  customerId: '00000000-0000-4000-8000-000000000001',
  timeoutMs: 30_000,
  reason: { method: 'longest-idle', candidates: 1 },
});

/** The agent as its rows hold it: its snapshot, with the conversations it holds from its assignments. */
async function agentOf(db: Kysely<Database>, id: string): Promise<{ context: AgentContext; value: unknown }> {
  const row = await db.selectFrom('agents').select(agentSnapshot().as('snapshot')).where('id', '=', id).executeTakeFirstOrThrow();
  return row.snapshot as { context: AgentContext; value: unknown };
}

/**
 * The owning router keeps active actors in memory and steps them without reading their
 * rows. These are the rules that make that safe: the memory of a partition is trusted
 * only under the epoch it was committed with, only committed states enter it, and an
 * idle actor dropped from it comes back the same from its row.
 */
describe('virtual actors in memory', () => {
  const stores = useTwoStores();

  it('never serves a stale state after its lease was taken, even once the partition is back', async () => {
    const partition = 1;
    const db = stores[0].db;
    const [first, third] = await queuedConversations(db, tenant, 2);
    await claimEpoch(db, partition, 1, 'router-a');
    let epochOfA: number | undefined = 1;
    const a = actorHost(db, quietHooks, { epochOf: () => epochOfA });
    await a.send({ kind: 'agent', tenant, id: 'ana', partition, event: configure('Ana') });
    await a.send({ kind: 'agent', tenant, id: 'ana', partition, event: presence('available') });
    const reserved = offer(first as string);
    await a.send({ kind: 'agent', tenant, id: 'ana', partition, event: reserved });
    expect(a.actors.get(actorKey('agent', tenant, 'ana'), partition, 1)).toBeDefined();

    // Another router claims the partition and changes the agent: the offer is rescinded, her one slot free again.
    await claimEpoch(stores[1].db, partition, 2, 'router-b');
    const b = actorHost(stores[1].db, quietHooks, { epochOf: () => 2 });
    await b.send({ kind: 'agent', tenant, id: 'ana', partition, event: { type: 'offer.rescind', at, offerId: reserved.offerId } });

    // The old owner, not aware yet, is refused by the fence (here for another agent: what it holds of Ana stays in its memory).
    const refused = await a.send({ kind: 'agent', tenant, id: 'bob', partition, event: configure('Bob') }).catch((err: unknown) => err);
    expect((refused as ParleyError).code).toBe('notPartitionOwner');
    expect(a.actors.get(actorKey('agent', tenant, 'ana'), partition, 1)).toBeDefined();

    // It gets the partition back with a new epoch: the next offer sees the rescinded one gone (a stale copy would decline, full).
    await claimEpoch(db, partition, 3, 'router-a');
    epochOfA = 3;
    const again = offer(third as string);
    await a.send({ kind: 'agent', tenant, id: 'ana', partition, event: again });
    const ana = await agentOf(db, 'ana');
    expect(ana.context.offers.map((o) => o.offerId)).toEqual([again.offerId]);
    const offers = await db.selectFrom('assignments').select(['id', 'state']).where('agent_id', '=', 'ana').orderBy('offered_at').execute();
    expect(offers.filter((o) => o.state === 'offered').map((o) => o.id)).toEqual([again.offerId]);
    // Not even tried with the stale copy (the row version's compare-and-set would have caught that, as a conflict).
    expect(a.conflicts).toBe(0);
  });

  it('gives the same state and behaviour after passivation and reactivation', async () => {
    const partition = 2;
    const db = stores[0].db;
    await claimEpoch(db, partition, 1, 'router-a');
    const changed: Record<string, { state: string; context: unknown }> = {};
    const hooks: HostHooks = { ...quietHooks, changed: (_kind, state, context) => (changed[context.id] = { state, context }) };
    const host = actorHost(db, hooks, { epochOf: () => 1 });
    const [c1, c2, c3, c4] = (await queuedConversations(db, tenant, 4)) as [string, string, string, string];
    // The same events for two agents: `kept` stays in memory, `passive` is passivated before every event.
    const offerIds = new Map<string, string[]>();
    const script = (id: string): AgentActorEvent[] => {
      // o1 sorts after o2: accepted at the same time, they are read back in offer-id order, not in the order they were taken.
      const [o2, o1, o3, o4, o5] = Array.from({ length: 5 }, () => randomUUID()).sort() as [string, string, string, string, string];
      offerIds.set(id, [o1, o2, o3, o4, o5]);
      const later = '2026-12-01T10:05:00.000Z';
      return [
        configure('Agent', 2),
        presence('available'),
        offer(c1, o1),
        { type: 'offer.accept', at, commandId: randomUUID(), offerId: o1 },
        offer(c2, o2),
        { type: 'offer.accept', at, commandId: randomUUID(), offerId: o2 },
        // Both slots held: c1's by its after-conversation work, so the next offer is declined until it is done.
        { type: 'assignment.release', at, conversationId: c1, afterWorkMs: 60_000 },
        offer(c3, o3),
        { type: 'after-work.done', at: later, conversationId: c1 },
        offer(c3, o4),
        { type: 'assignment.release', at: later, conversationId: c2 },
        offer(c4, o5),
        { type: 'offer.reject', at, commandId: randomUUID(), offerId: o4 },
      ];
    };
    const kept = randomUUID();
    const passive = randomUUID();
    const send = (id: string, event: AgentActorEvent) => host.send({ kind: 'agent', tenant, id, partition, event });
    for (const event of script(kept)) await send(kept, event);
    for (const event of script(passive)) {
      const memory = host.actors.get(actorKey('agent', tenant, passive), partition, 1);
      if (memory) {
        // What memory held is what the row holds…
        expect((await agentOf(db, passive)).context).toEqual((memory.state as { context: AgentContext }).context);
        expect(host.actors.passivate(performance.now() + 24 * 3_600_000)).toBeGreaterThan(0);
        expect(host.actors.get(actorKey('agent', tenant, passive), partition, 1)).toBeUndefined();
      }
      await send(passive, event);
    }
    // …and the same events led both to the same state.
    const normalize = (value: unknown, id: string) => {
      let text = JSON.stringify(value).replaceAll(id, 'AGENT');
      for (const [i, offerId] of (offerIds.get(id) ?? []).entries()) text = text.replaceAll(offerId, `OFFER-${i}`);
      return JSON.parse(text) as unknown;
    };
    expect(normalize(changed[passive], passive)).toEqual(normalize(changed[kept], kept));
    expect(normalize(await agentOf(db, passive), passive)).toEqual(normalize(await agentOf(db, kept), kept));
    const final = changed[kept]?.context as AgentContext;
    expect(final.offers.map((o) => o.offerId)).toEqual([offerIds.get(kept)?.[4]]);
    expect(final.active).toEqual([]);
    // The declined offer was declined for both (the after-work slot came back from the rows as held).
    const states = await db.selectFrom('assignments').select(['agent_id', 'state']).where('id', '=', offerIds.get(passive)?.[2] as string).execute();
    expect(states).toEqual([]);
  });

  it('keeps nothing of a transaction that failed, and never overwrites a row changed behind its copy', async () => {
    const partition = 3;
    const db = stores[0].db;
    await claimEpoch(db, partition, 1, 'router-a');
    const host = actorHost(db, quietHooks, { epochOf: () => 1 });
    const key = actorKey('agent', tenant, 'cleo');
    await host.send({ kind: 'agent', tenant, id: 'cleo', partition, event: configure('Cleo') });
    await host.send({ kind: 'agent', tenant, id: 'cleo', partition, event: presence('available') });
    const before = host.actors.get(key, partition, 1);
    expect(before).toBeDefined();

    // An offer for a conversation that does not exist: the step reserves the slot, its assignment's insert fails, the transaction rolls back.
    const failed = await host.send({ kind: 'agent', tenant, id: 'cleo', partition, event: offer(randomUUID()) }).catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(Error);
    expect(host.actors.get(key, partition, 1)).toBeUndefined();
    const [conversation] = await queuedConversations(db, tenant, 1);
    const taken = offer(conversation as string);
    await host.send({ kind: 'agent', tenant, id: 'cleo', partition, event: taken });
    expect((await agentOf(db, 'cleo')).context.offers.map((o) => o.offerId)).toEqual([taken.offerId]);

    // A write behind the owner's back (none exists; fencing rules them out) fails its compare-and-set, and the retry reads the row.
    const cached = host.actors.get(key, partition, 1);
    expect(cached).toBeDefined();
    await sql`update agents set snapshot = jsonb_set(snapshot, '{context,name}', '"Cleo B"'), version = version + 1 where id = 'cleo'`.execute(db);
    await host.send({ kind: 'agent', tenant, id: 'cleo', partition, event: presence('away') });
    const cleo = await agentOf(db, 'cleo');
    expect(cleo.context.name).toBe('Cleo B');
    expect(cleo.context.presence).toBe('away');
    expect(host.conflicts).toBe(1);
  });

  it('writes an agent stepped several times in one transaction once, with its last state', async () => {
    const partition = 4;
    const db = stores[0].db;
    await claimEpoch(db, partition, 1, 'router-a');
    const batches: number[] = [];
    const host = actorHost(db, quietHooks, { epochOf: () => 1 }, { committed: (size) => batches.push(size) });
    const send = (event: AgentActorEvent) => host.send({ kind: 'agent', tenant, id: 'dora', partition, event });
    await send(configure('Dora'));
    await send({ type: 'agent.configure', at, commandId: randomUUID(), name: 'Dora', skills: [], capacity: { message: 3 } });
    await send(presence('available'));
    const versionOf = async () => (await db.selectFrom('agents').select('version').where('id', '=', 'dora').executeTakeFirstOrThrow()).version;
    const before = await versionOf();

    // The partition's agents are held by a work item (kept apart, as their events are) until three offers wait behind it: they go in the next transaction together.
    let release = () => {};
    const held = host.run(partition, () => new Promise<void>((resolve) => (release = resolve)), { apart: true });
    const ids = await queuedConversations(db, tenant, 3);
    const offers = ids.map((id) => offer(id));
    const sent = offers.map((o) => send(o));
    release();
    await held;
    expect(await Promise.all(sent)).toEqual([true, true, true]);
    expect(batches.at(-1)).toBe(3);

    // One compare-and-set for the three steps, and the row holds the last state: all three offers ringing.
    expect(await versionOf()).toBe(before + 1);
    expect((await agentOf(db, 'dora')).context.offers.map((o) => o.offerId)).toEqual(offers.map((o) => o.offerId));
    const assignments = await db.selectFrom('assignments').select('id').where('agent_id', '=', 'dora').execute();
    expect(assignments).toHaveLength(3);
    expect(host.conflicts).toBe(0);
  });
});
