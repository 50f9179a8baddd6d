import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useMigratedStore } from '../support/migrated-store.ts';
import { claimEpoch, openActor, StepWrites } from '../../src/store/index.ts';

const tenant = 'acme';
const partition = 0;

/** The one read of an actor step: its lock serializes the actor's steps, and nothing else. */
describe('openActor', () => {
  const database = useMigratedStore();

  it('holds the actor’s row against another step, but lets an offer recorded for it through (a foreign-key check)', async () => {
    const { db } = database.store;
    await claimEpoch(db, partition, 1, 'router-a');
    const customer = randomUUID();
    await db.insertInto('customers').values({ id: customer, tenant, name: null }).execute();
    const id = randomUUID();
    const created = new StepWrites(db);
    const state = { state: 'queued', queue: 'support', agentId: null, lastMessageAt: new Date(), closedAt: null, snapshot: {} };
    created.insertConversation({ id, tenant, channel: 'whatsapp', customer_id: customer, external_id: `opaque:${id}`, partition }, state);
    await created.flush();

    let release!: () => void;
    const holding = new Promise<void>((resolve) => (release = resolve));
    let opened!: () => void;
    const isOpen = new Promise<void>((resolve) => (opened = resolve));
    const step = db.transaction().execute(async (tx) => {
      const read = await openActor(tx, { kind: 'conversation', tenant, id, partition });
      expect(read.row?.id).toBe(id);
      expect(read.epoch).toBe(1);
      opened();
      await holding;
    });
    await isOpen;

    // Waiting on a lock fails at once here instead of waiting for the step.
    const withoutWaiting = <T>(work: (tx: typeof db) => Promise<T>) =>
      db.transaction().execute(async (tx) => {
        await sql`set local lock_timeout = '500ms'`.execute(tx);
        return work(tx);
      });
    // An agent's step records an offer for the conversation: its foreign-key check does not wait.
    await withoutWaiting(async (tx) => {
      const offer = new StepWrites(tx);
      offer.offer({ id: randomUUID(), tenant, conversationId: id, agentId: 'ana', queue: 'support', offeredAt: new Date(), mediaType: 'message', reason: {} });
      await offer.flush();
    });
    // Another step of the same conversation does.
    await expect(withoutWaiting((tx) => openActor(tx, { kind: 'conversation', tenant, id, partition }))).rejects.toThrow(/lock timeout/);

    release();
    await step;
  });
});
