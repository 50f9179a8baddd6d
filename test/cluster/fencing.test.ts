import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { useTwoStores } from '../support/migrated-store.ts';
import { waitFor } from '../support/services.ts';
import { actorHost } from '../support/actor-host.ts';
import { quietHooks as quiet } from '../support/quiet-hooks.ts';
import { ParleyError } from '../../src/contract/index.ts';
import { claimEpoch, lockEpoch } from '../../src/store/index.ts';
import type { AgentContext } from '../../src/agent/context.ts';

const tenant = 'acme';
const partition = 5;
const presence = (value: 'available' | 'away') => ({ type: 'presence.set' as const, at: new Date().toISOString(), commandId: randomUUID(), presence: value });

/**
 * Two routers, each with its own connection pool, that both believe they own a
 * partition: the old owner (epoch 1) has not noticed that the new one (epoch 2)
 * claimed it. The store decides.
 */
describe('fencing a partition by its lease epoch', () => {
  const stores = useTwoStores();

  const presenceOf = async () => {
    const row = await stores[0].db.selectFrom('agents').select('snapshot').where('id', '=', 'ana').executeTakeFirstOrThrow();
    return (row.snapshot as { context: AgentContext }).context.presence;
  };

  it('makes the new owner wait for the old owner’s transaction in flight, then refuses every later write of the old owner', async () => {
    const [oldDb, newDb] = [stores[0].db, stores[1].db];
    await claimEpoch(oldDb, partition, 1, 'router-a');
    const oldOwner = actorHost(oldDb, quiet, { epochOf: () => 1 });
    const newOwner = actorHost(newDb, quiet, { epochOf: () => 2 });
    await oldOwner.send({ kind: 'agent', tenant, id: 'ana', partition, event: { type: 'agent.configure', at: new Date().toISOString(), commandId: randomUUID(), name: 'Ana', skills: [], capacity: { message: 2 } } });

    // The old owner is in the middle of a transaction on the partition, past its first
    // read (which reads the epoch, as every actor step's does), when the new owner claims it.
    let finish!: () => void;
    const holding = new Promise<void>((resolve) => (finish = resolve));
    let fenced!: () => void;
    const inside = new Promise<void>((resolve) => (fenced = resolve));
    const inFlight = oldOwner.transactionOn([partition], async (tx, fences) => {
      fences.get(partition).verify(await lockEpoch(tx, partition));
      fenced();
      await holding;
    });
    await inside;
    let claimed = false;
    const claim = claimEpoch(newDb, partition, 2, 'router-b').then((result) => {
      claimed = true;
      return result;
    });
    // The claim cannot complete while the old owner's transaction holds the epoch row: it waits on its lock…
    await waitFor(async () => {
      const { rows } = await sql<{ n: string }>`select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%partition_epochs%'`.execute(oldDb);
      return Number(rows[0]?.n) > 0 ? true : undefined;
    }, { what: 'the claim to wait for the lock' });
    expect(claimed).toBe(false);
    finish();
    await inFlight;
    // …and goes through once it ends.
    expect(await claim).toEqual({ claimed: true, stored: 2 });

    const refused = await oldOwner.send({ kind: 'agent', tenant, id: 'ana', partition, event: presence('available') }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ParleyError);
    expect((refused as ParleyError).code).toBe('notPartitionOwner');
    expect(await presenceOf()).toBe('offline');

    await newOwner.send({ kind: 'agent', tenant, id: 'ana', partition, event: presence('away') });
    expect(await presenceOf()).toBe('away');
  });

  it('fails a transaction at its end when the partition was claimed before it read the epoch, and undoes its writes', async () => {
    const [oldDb, newDb] = [stores[0].db, stores[1].db];
    const p = 7;
    await claimEpoch(oldDb, p, 1, 'router-a');
    const oldOwner = actorHost(oldDb, quiet, { epochOf: () => 1 });
    await oldOwner.send({ kind: 'agent', tenant, id: 'cleo', partition: p, event: { type: 'agent.configure', at: new Date().toISOString(), commandId: randomUUID(), name: 'Cleo', skills: [], capacity: {} } });

    let finish!: () => void;
    const holding = new Promise<void>((resolve) => (finish = resolve));
    let wrote!: () => void;
    const written = new Promise<void>((resolve) => (wrote = resolve));
    const inFlight = oldOwner.transactionOn([p], async (tx) => {
      await tx.updateTable('agents').set({ presence: 'available' }).where('id', '=', 'cleo').execute();
      wrote();
      await holding;
    });
    await written;
    // Nothing holds the epoch row yet: the claim goes through at once…
    expect(await claimEpoch(newDb, p, 2, 'router-b')).toEqual({ claimed: true, stored: 2 });
    finish();
    // …and the old owner's transaction reads the new epoch before its commit.
    const refused = await inFlight.catch((err: unknown) => err);
    expect((refused as ParleyError).code).toBe('notPartitionOwner');
    const row = await oldDb.selectFrom('agents').select('presence').where('id', '=', 'cleo').executeTakeFirstOrThrow();
    expect(row.presence).toBe('offline');
  });

  it('never lets two claims share an epoch (lease epochs start over when the bucket is recreated)', async () => {
    const db = stores[0].db;
    expect(await claimEpoch(db, 9, 1, 'router-a')).toEqual({ claimed: true, stored: 1 });
    // Another router granted epoch 1 by a new bucket: not a claim, it must go above.
    expect(await claimEpoch(db, 9, 1, 'router-b')).toEqual({ claimed: false, stored: 1 });
    expect(await claimEpoch(db, 9, 2, 'router-b')).toEqual({ claimed: true, stored: 2 });
  });

  it('refuses to write a partition the node does not believe it owns, whatever the store says', async () => {
    await claimEpoch(stores[0].db, 6, 1, 'router-a');
    const notOwner = actorHost(stores[0].db, quiet, { epochOf: () => undefined });
    const refused = await notOwner.send({ kind: 'agent', tenant, id: 'bob', partition: 6, event: { type: 'agent.configure', at: new Date().toISOString(), commandId: randomUUID(), name: 'Bob', skills: [], capacity: {} } }).catch((err: unknown) => err);
    expect((refused as ParleyError).code).toBe('notPartitionOwner');
    expect(await stores[0].db.selectFrom('agents').select('id').where('id', '=', 'bob').executeTakeFirst()).toBeUndefined();
  });
});
