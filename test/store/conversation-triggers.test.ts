import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { StepWrites } from '../../src/store/index.ts';
import { useMigratedStore } from '../support/migrated-store.ts';

const tenant = 'acme';

/**
 * The report and journey triggers of `conversations` (migration 2026-12-09T0101): they run
 * on a new conversation, and on an update only when it changes what they record, not on
 * every snapshot write. Which triggers ran, and how often, is what EXPLAIN ANALYZE lists.
 */
describe('conversation triggers', () => {
  const database = useMigratedStore();
  const db = () => database.store.db;

  const conversation = async () => {
    const customerId = randomUUID();
    await db().insertInto('customers').values({ id: customerId, tenant, name: null }).execute();
    const id = randomUUID();
    const writes = new StepWrites(db());
    writes.insertConversation(
      { id, tenant, channel: 'sms', customer_id: customerId, external_id: `phone:${id}`, partition: 0 },
      { state: 'queued', queue: 'support', agentId: null, lastMessageAt: new Date(), closedAt: null, snapshot: { value: 'queued', context: {} } },
    );
    await writes.flush();
    return id;
  };

  /** The triggers an update of the conversation ran (`name: calls`), the update rolled back. */
  const triggersRunBy = async (id: string, set: string): Promise<Record<string, number>> => {
    const ran: Record<string, number> = {};
    await db()
      .transaction()
      .execute(async (tx) => {
        const { rows } = await sql<{ 'QUERY PLAN': string }>`explain (analyze, costs off, timing off) update conversations set ${sql.raw(set)} where id = ${id}`.execute(tx);
        for (const { 'QUERY PLAN': line } of rows) {
          const m = /^Trigger (\S+): calls=(\d+)/.exec(line);
          if (m) ran[m[1] as string] = Number(m[2]);
        }
        throw new RollBack();
      })
      .catch((err: unknown) => {
        if (!(err instanceof RollBack)) throw err;
      });
    return ran;
  };

  it('skips the report and journey triggers when a write changes neither state nor queue', async () => {
    const id = await conversation();
    expect(await triggersRunBy(id, `state = 'queued', queue = 'support', snapshot = '{"value":"queued","context":{"note":1}}'`)).toEqual({});
  });

  it('skips them when an offer is made or ends and the conversation waits on (between the waiting states)', async () => {
    const id = await conversation();
    expect(await triggersRunBy(id, `state = 'offered'`)).toEqual({});
    await sql`update conversations set state = 'offered' where id = ${id}`.execute(db());
    expect(await triggersRunBy(id, `state = 'queued'`)).toEqual({});
  });

  it('runs them when the queue changes, or the state changes otherwise', async () => {
    const id = await conversation();
    const both = { conversation_journey_step_update: 1, report_conversation_facts_update: 1 };
    expect(await triggersRunBy(id, `queue = 'sales'`)).toEqual(both);
    expect(await triggersRunBy(id, `state = 'connected', agent_id = 'ana'`)).toEqual(both);
    expect(await triggersRunBy(id, `state = 'closed'`)).toEqual(both);
  });

  it('records a new conversation as before: its arrival in the journey, its offer in the reports', async () => {
    const id = await conversation();
    const journey = await sql<{ kind: string; cause: string; queue: string }>`select kind, cause, queue from conversation_journey where conversation_id = ${id}`.execute(db());
    expect(journey.rows).toEqual([{ kind: 'queued', cause: 'arrival', queue: 'support' }]);
    const waits = await sql<{ queue: string }>`select queue from report_waits where conversation_id = ${id}`.execute(db());
    expect(waits.rows).toEqual([{ queue: 'support' }]);
  });
});

class RollBack extends Error {}
