import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useMigratedStore } from '../support/migrated-store.ts';
import { quietHooks } from '../support/quiet-hooks.ts';
import { actorHost } from '../support/actor-host.ts';
import type { ParleyError } from '../../src/contract/index.ts';
import { claimEpoch, insertOutbox } from '../../src/store/index.ts';
import type { AgentContext } from '../../src/agent/context.ts';

const tenant = 'acme';
const partition = 3;

/**
 * Two events for one agent wait in the outbox (say a presence change and the next one):
 * the later must not overtake the earlier, even if its delivery is tried first (the
 * earlier one's failed during a handover).
 */
describe('events reach an actor in commit order', () => {
  const database = useMigratedStore();

  it('refuses a later outbox event while an earlier one for the same actor is pending, then takes both in order', async () => {
    await claimEpoch(database.store.db, partition, 1, 'router-a');
    const host = actorHost(database.store.db, quietHooks, { epochOf: () => 1 });
    const at = new Date().toISOString();
    await host.send({ kind: 'agent', tenant, id: 'ana', partition, event: { type: 'agent.configure', at, commandId: randomUUID(), name: 'Ana', skills: [], capacity: { message: 1 } } });
    const presence = (value: 'available' | 'away') => JSON.stringify({ type: 'presence.set', at, commandId: randomUUID(), presence: value });
    const [first, second] = await insertOutbox(database.store.db, [
      { tenant, partition, kind: 'actor', target_kind: 'agent', target_id: 'ana', subject: null, msg_id: null, payload: presence('available') },
      { tenant, partition, kind: 'actor', target_kind: 'agent', target_id: 'ana', subject: null, msg_id: null, payload: presence('away') },
    ]);
    const deliver = (row: typeof first) => {
      const r = row as NonNullable<typeof first>;
      return host.send({ kind: 'agent', tenant, id: 'ana', partition, event: r.payload as never }, { outboxId: String(r.id) });
    };
    const presenceNow = async () => {
      const row = await database.store.db.selectFrom('agents').select('snapshot').where('id', '=', 'ana').executeTakeFirstOrThrow();
      return (row.snapshot as { context: AgentContext }).context.presence;
    };

    const overtaking = await deliver(second).catch((err: unknown) => err);
    expect((overtaking as ParleyError).code).toBe('unavailable');
    expect(await presenceNow()).toBe('offline');

    await deliver(first);
    await deliver(second);
    expect(await presenceNow()).toBe('away');
    expect(await database.store.db.selectFrom('outbox').select('id').execute()).toEqual([]);

    // A redelivery of an event the agent (active in memory) took already is dropped: it would set it available again.
    expect(await deliver(first)).toBe(true);
    expect(await presenceNow()).toBe('away');
  });

  it('takes two outbox events for one active actor in one transaction, in order, consuming both', async () => {
    await claimEpoch(database.store.db, partition, 1, 'router-a');
    const sizes: number[] = [];
    const host = actorHost(database.store.db, quietHooks, { epochOf: () => 1 }, { maxConcurrent: 1, committed: (size) => sizes.push(size) });
    const at = new Date().toISOString();
    await host.send({ kind: 'agent', tenant, id: 'bea', partition, event: { type: 'agent.configure', at, commandId: randomUUID(), name: 'Bea', skills: [], capacity: { message: 1 } } });
    const presence = (value: 'available' | 'away') => JSON.stringify({ type: 'presence.set', at, commandId: randomUUID(), presence: value });
    const rows = await insertOutbox(database.store.db, [
      { tenant, partition, kind: 'actor', target_kind: 'agent', target_id: 'bea', subject: null, msg_id: null, payload: presence('available') },
      { tenant, partition, kind: 'actor', target_kind: 'agent', target_id: 'bea', subject: null, msg_id: null, payload: presence('away') },
    ]);
    sizes.length = 0;
    // The first send starts a transaction at once; the next two wait for it and share the next one.
    const busy = host.send({ kind: 'agent', tenant, id: 'busy', partition, event: { type: 'agent.configure', at, commandId: randomUUID(), name: 'Busy', skills: [], capacity: { message: 1 } } });
    const delivered = rows.map((r) => host.send({ kind: 'agent', tenant, id: 'bea', partition, event: r.payload as never }, { outboxId: String(r.id) }));
    expect(await Promise.all([busy, ...delivered])).toEqual([true, true, true]);
    expect(sizes).toEqual([1, 2]);
    const row = await database.store.db.selectFrom('agents').select('snapshot').where('id', '=', 'bea').executeTakeFirstOrThrow();
    expect((row.snapshot as { context: AgentContext }).context.presence).toBe('away');
    expect(await database.store.db.selectFrom('outbox').select('id').where('target_id', '=', 'bea').execute()).toEqual([]);
  });
});
