import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Subscription } from '@nats-io/transport-node';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { channel, queue, startParley, type RunningParley } from '../support/parley.ts';
import { subjects } from '../../src/contract/index.ts';

const tenant = 'acme';

/**
 * The routers' actor state feed (`parley.v1.cluster.state.*`, cluster.md §7): what the
 * schedulers follow. A conversation's notes come with the steps that start or end its
 * wait; a customer message while connected changes nothing they follow, and sends none.
 */
describe('actor state feed', () => {
  let services: TestServices;
  let parley: RunningParley;
  let alice: AgentDriver;
  let notes: Subscription;
  const seen: { state: string; id: string }[] = [];

  beforeAll(async () => {
    services = await startTestServices();
    parley = await startParley(services.natsUrl, services.databaseUrl, [channel(tenant, 'whatsapp', { type: 'whatsapp', queue: 'support' }), queue(tenant, 'support', { skills: ['support'] })]);
    alice = new AgentDriver(parley.nc, tenant, 'alice');
    await alice.configure(['support'], { message: 4 });
    await alice.presence('available');
    notes = parley.nc.subscribe(subjects.actorState('conversation'), {
      callback: (_err, msg) => {
        const note = msg.json<{ state: string; context: { id: string } }>();
        seen.push({ state: note.state, id: note.context.id });
      },
    });
  });

  afterAll(async () => {
    notes?.unsubscribe();
    alice?.stop();
    await parley?.stop();
    await services?.stop();
  });

  const stored = (text: string) =>
    waitFor(() => parley.store.db.selectFrom('messages').select('conversation_id').where('text', '=', text).executeTakeFirst(), { what: `the message "${text}" stored` });

  it('notes a conversation queued, offered and connected, and not a customer message while connected', async () => {
    const ann = new CustomerDriver(parley.nc, tenant, 'whatsapp', { id: '+447700900201', idType: 'phone' });
    await ann.say('Hello');
    const first = await alice.acceptNextOffer();
    await waitFor(() => (seen.some((n) => n.id === first && n.state === 'connected') ? true : undefined), { what: 'the connected note' });
    expect(seen.filter((n) => n.id === first).map((n) => n.state)).toEqual(['queued', 'offered', 'connected']);

    await ann.say('Are you there?');
    await stored('Are you there?');
    // The notes of one router come in the order of its commits: a later conversation's first note closes the window.
    const bea = new CustomerDriver(parley.nc, tenant, 'whatsapp', { id: '+447700900202', idType: 'phone' });
    await bea.say('Hi');
    const second = (await stored('Hi')).conversation_id;
    await waitFor(() => (seen.some((n) => n.id === second) ? true : undefined), { what: 'the second conversation noted' });
    expect(seen.filter((n) => n.id === first).map((n) => n.state)).toEqual(['queued', 'offered', 'connected']);
  });
});
