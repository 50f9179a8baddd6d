import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServices, type TestServices } from '../support/services.ts';
import { ActorChanged, type ActorHost } from '../../src/runtime/index.ts';
import { actorHost } from '../support/actor-host.ts';
import { quietHooks as quiet } from '../support/quiet-hooks.ts';
import { claimEpoch, migrateToLatest, openStore, type Store } from '../../src/store/index.ts';
import type { AgentContext } from '../../src/agent/context.ts';
import type { OfferRequest } from '../../src/agent/events.ts';

const tenant = 'acme';

/**
 * Both hosts believe they own the agent's partition with the epoch the store holds: the
 * fence lets both through, so only the agent's row lock stands between them.
 */
const partition = 0;
const bothOwn = { epochOf: () => 1 };

const request = (queue: string): OfferRequest => ({
  type: 'offer.request',
  at: new Date().toISOString(),
  offerId: randomUUID(),
  conversationId: randomUUID(),
  mediaType: 'message',
  queue,
  channel: 'whatsapp',
  channelType: 'whatsapp',
  customerId: randomUUID(),
  timeoutMs: 30_000,
  reason: { method: 'longest-idle', candidates: 1 },
});

/**
 * Two schedulers — here two hosts with their own connection pools and no shared memory,
 * as two router nodes would be — offer to the same agent at the same moment. Only the
 * agent actor decides, and its row lock serializes them.
 */
describe('concurrent offers to one agent', () => {
  let services: TestServices;
  let stores: Store[];

  beforeAll(async () => {
    services = await startTestServices();
    stores = [await openStore({ url: services.databaseUrl }), await openStore({ url: services.databaseUrl })];
    await migrateToLatest(stores[0]!.db);
  });

  afterAll(async () => {
    await Promise.all((stores ?? []).map((s) => s.close()));
    await services?.stop();
  });

  it('never exceeds the agent capacity, whichever queue or node offers', async () => {
    await claimEpoch(stores[0]!.db, partition, 1, 'test');
    const [a, b] = stores.map((s) => actorHost(s.db, quiet, bothOwn)) as [ActorHost, ActorHost];
    const at = new Date().toISOString();
    await a.send({ kind: 'agent', tenant, id: 'ana', partition, event: { type: 'agent.configure', at, commandId: randomUUID(), name: 'Ana', skills: [], capacity: { message: 2 } } });
    await a.send({ kind: 'agent', tenant, id: 'ana', partition, event: { type: 'presence.set', at, commandId: randomUUID(), presence: 'available' } });

    const offers = [...Array.from({ length: 10 }, () => request('sales')), ...Array.from({ length: 10 }, () => request('support'))];
    // Assignments reference their conversation: give each offer one (their actors play no part here).
    const customer = randomUUID();
    await stores[0]!.db.insertInto('customers').values({ id: customer, tenant, name: null }).execute();
    await stores[0]!.db
      .insertInto('conversations')
      .values(offers.map((o, i) => ({ id: o.conversationId, tenant, channel: 'whatsapp', customer_id: customer, external_id: `opaque:${i}`, state: 'queued', queue: o.queue, agent_id: null, last_message_at: new Date(), closed_at: null, snapshot: '{}' })))
      .execute();
    const sent = await Promise.allSettled(offers.map((event, i) => (i % 2 === 0 ? a : b).send({ kind: 'agent', tenant, id: 'ana', partition, event })));
    // Each host keeps Ana in memory, so the other's commits change her row behind its copy:
    // a write compared against a stale version is refused and retried from the row, and one
    // that keeps losing the race gives up as ActorChanged, having written nothing. (Two
    // owners at one epoch cannot happen outside this test; the fence refuses the old one.)
    for (const outcome of sent) if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(ActorChanged);

    const row = await stores[0]!.db.selectFrom('agents').select('snapshot').where('id', '=', 'ana').executeTakeFirstOrThrow();
    const ana = (row.snapshot as { context: AgentContext }).context;
    expect(ana.offers).toHaveLength(2);
    const reserved = await stores[0]!.db.selectFrom('assignments').select('id').where('agent_id', '=', 'ana').execute();
    expect(reserved.map((r) => r.id).sort()).toEqual(ana.offers.map((o) => o.offerId).sort());
  });
});
