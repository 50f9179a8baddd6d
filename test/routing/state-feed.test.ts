import { context, propagation, trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headers as natsHeaders, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { channel, queue, startParley, type RunningParley } from '../support/parley.ts';
import { subjects } from '../../src/contract/index.ts';
import { connectBus } from '../../src/bus/index.ts';
import type { ConversationContext, ConversationView } from '../../src/conversation/index.ts';
import { ActorStateFeed, LEGACY_PEER_MS, MAX_BATCH_CHARS, type AgentNote, type ConversationNote, type NoteBatch } from '../../src/router/actor-state-feed.ts';
import { agentViewOf, waitingOf } from '../../src/routing/index.ts';
import { agentContext } from '../gateway/seed.ts';

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
  const seen: { state: string; id: string; context: ConversationView; bytes: number }[] = [];

  beforeAll(async () => {
    services = await startTestServices();
    parley = await startParley(services.natsUrl, services.databaseUrl, [channel(tenant, 'whatsapp', { type: 'whatsapp', queue: 'support' }), queue(tenant, 'support', { skills: ['support'] })]);
    alice = new AgentDriver(parley.nc, tenant, 'alice');
    await alice.configure(['support'], { message: 4 });
    await alice.presence('available');
    notes = parley.nc.subscribe(subjects.actorStates('conversations'), {
      callback: (_err, msg) => {
        for (const note of msg.json<NoteBatch<ConversationNote>>().notes) seen.push({ state: note.state, id: note.context.id, context: note.context, bytes: JSON.stringify(note).length });
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

  it('carries what the schedulers read of a conversation, the same as they read from the store, and not its whole context', async () => {
    const cleo = new CustomerDriver(parley.nc, tenant, 'whatsapp', { id: '+447700900203', idType: 'phone', name: 'Cleo' });
    await cleo.say('Hello there');
    const id = await alice.acceptNextOffer();
    await waitFor(() => (seen.some((n) => n.id === id && n.state === 'connected') ? true : undefined), { what: 'the connected note' });
    const { snapshot } = await parley.store.db.selectFrom('conversations').select('snapshot').where('id', '=', id).executeTakeFirstOrThrow();
    const stored = (snapshot as { context: ConversationContext }).context;
    const connected = seen.find((n) => n.id === id && n.state === 'connected') as (typeof seen)[number];
    // A scheduler rebuilding its queue from the store and one following the notes see the same entry.
    expect(waitingOf(connected.context)).toEqual(waitingOf(stored));
    expect(connected.context.customer).toEqual(stored.customer);
    expect(connected.context.policy).toEqual({ alertingTimeoutMs: stored.policy.alertingTimeoutMs, overflowQueue: stored.policy.overflowQueue });
    for (const actorOnly of ['attributes', 'bot', 'offer', 'threadingWindowMs', 'agentId', 'assignmentId']) expect(connected.context).not.toHaveProperty(actorOnly);
    // Every router receives every note: here 60 % of the context's size (its policy alone is near a third of it).
    expect(connected.bytes).toBeLessThan(JSON.stringify({ state: 'connected', context: stored }).length * 0.65);
  });
});

/**
 * A router's own notes reach its own schedulers at once, in order, and once: not back
 * from NATS, where under a burst they wait behind every message the connection reads.
 */
describe('ActorStateFeed', () => {
  let services: TestServices;
  let nc: NatsConnection;

  beforeAll(async () => {
    services = await startTestServices();
    nc = await connectBus({ url: services.natsUrl });
  });

  afterAll(async () => {
    await nc?.drain();
    await services?.stop();
  });

  const note = (id: string): ConversationNote => ({ state: 'queued', context: { id } as ConversationView });

  it("gives a node's own notes to its followers as they are published and drops their copies from NATS; another node's come over NATS", async () => {
    const errors: unknown[] = [];
    const here = new ActorStateFeed(nc, (err) => errors.push(err));
    const elsewhere = new ActorStateFeed(nc, (err) => errors.push(err));
    const got: string[] = [];
    const following = here.follow({ conversation: (n) => got.push(n.context.id), agent: () => {} });
    await nc.flush();

    here.conversation(note('own-1'));
    here.conversation(note('own-2'));
    expect(got).toEqual(['own-1', 'own-2']);
    // One connection: its messages come back in the order published, so once the other node's note is in, this node's copies have come back too.
    elsewhere.conversation(note('other'));
    await waitFor(() => (got.includes('other') ? true : undefined), { what: "the other node's note" });
    following.stop();
    expect(got).toEqual(['own-1', 'own-2', 'other']);
    expect(errors).toEqual([]);
  });

  it('reports a follower that throws, and a message it cannot read, and goes on: with the next follower, the next note of the batch, and the next message', async () => {
    const errors: unknown[] = [];
    const feed = new ActorStateFeed(nc, (err) => errors.push(err));
    const elsewhere = new ActorStateFeed(nc, () => {});
    const got: string[] = [];
    const gotByFailing: string[] = [];
    const failing = feed.follow({
      conversation: (n) => {
        if (n.context.id.startsWith('bad')) throw new Error(`follower bug on ${n.context.id}`);
        gotByFailing.push(n.context.id);
      },
      agent: () => {},
    });
    const working = feed.follow({ conversation: (n) => got.push(n.context.id), agent: () => {} });
    await nc.flush();
    feed.conversation(note('bad-own'));
    // A callback that throws would end nats.js's reading of the whole connection: the next note would never come.
    elsewhere.conversation(note('bad-other'));
    elsewhere.conversation(note('after-bad'));
    elsewhere.flush();
    nc.publish(subjects.actorStates('conversations'), 'not a note');
    nc.publish(subjects.actorStates('conversations'), '{"note":{}}');
    elsewhere.conversation(note('next'));
    await waitFor(() => (got.includes('next') && gotByFailing.includes('next') ? true : undefined), { what: 'the note after the ones a follower threw on' });
    failing.stop();
    working.stop();
    expect(got).toEqual(['bad-own', 'bad-other', 'after-bad', 'next']);
    expect(gotByFailing).toEqual(['after-bad', 'next']);
    // The unreadable messages fail once per follower.
    const unlisted = `a state note batch on ${subjects.actorStates('conversations')} has no list of notes`;
    expect(errors.map((e) => (e instanceof SyntaxError ? 'unreadable' : (e as Error).message))).toEqual([
      'follower bug on bad-own',
      'follower bug on bad-other',
      'unreadable',
      'unreadable',
      unlisted,
      unlisted,
    ]);
  });

  it('sends the notes published in one go in one message per subject, in order, and splits what would pass the size limit', async () => {
    const here = new ActorStateFeed(nc, () => {});
    const elsewhere = new ActorStateFeed(nc, () => {});
    const got: string[] = [];
    const following = here.follow({ conversation: (n) => got.push(n.context.id), agent: (n) => got.push(n.view.id) });
    const messages: { subject: string; notes: number; chars: number }[] = [];
    const listening = nc.subscribe('parley.v1.cluster.state.>', {
      callback: (_err, msg) => void messages.push({ subject: msg.subject, notes: msg.json<NoteBatch<object>>().notes.length, chars: msg.data.length }),
    });
    await nc.flush();
    // A transaction's after-commit work: three conversations and an agent, all at once.
    const ana = agentViewOf(agentContext('acme', 'ana', { skills: ['support'], capacity: { message: 4 } }));
    for (const id of ['c-1', 'c-2']) elsewhere.conversation(note(id));
    elsewhere.agent({ view: ana });
    elsewhere.conversation(note('c-3'));
    // Then many more than one message holds (about 40 characters each), with one larger than a message in the middle.
    const many = Array.from({ length: Math.ceil((MAX_BATCH_CHARS / 40) * 2.5) }, (_, i) => (i === 1000 ? `large-${'x'.repeat(MAX_BATCH_CHARS)}` : `many-${i}`));
    await Promise.resolve();
    for (const id of many) elsewhere.conversation(note(id));
    const last = many.at(-1) as string;
    await waitFor(() => (got.includes(last) ? true : undefined), { what: 'the last of many notes' });
    following.stop();
    listening.unsubscribe();
    // In order per subject; a conversation's and an agent's notes keep no order between them (they come from different routers as often as not).
    expect(got).toEqual(['c-1', 'c-2', 'c-3', 'ana', ...many]);
    expect(messages.slice(0, 2).map(({ subject, notes }) => ({ subject, notes }))).toEqual([
      { subject: subjects.actorStates('conversations'), notes: 3 },
      { subject: subjects.actorStates('agents'), notes: 1 },
    ]);
    const split = messages.slice(2);
    expect(split.length).toBeGreaterThanOrEqual(4);
    expect(split.reduce((sum, m) => sum + m.notes, 0)).toBe(many.length);
    const [large, ...rest] = [...split].sort((a, b) => b.chars - a.chars);
    expect(large?.notes).toBe(1);
    for (const m of rest) expect(m.chars).toBeLessThanOrEqual(MAX_BATCH_CHARS + 20);
  });

  it('reads the notes of a router of the release before, one per message, and publishes its own that way too while it hears one', async () => {
    const clock = { here: Date.parse('2026-12-06T12:00:00Z'), elsewhere: Date.parse('2026-12-06T12:00:00Z') };
    const here = new ActorStateFeed(nc, () => {}, () => clock.here);
    const elsewhere = new ActorStateFeed(nc, () => {}, () => clock.elsewhere);
    const gotHere: string[] = [];
    const gotElsewhere: string[] = [];
    const following = [here.follow({ conversation: (n) => gotHere.push(n.context.id), agent: () => {} }), elsewhere.follow({ conversation: (n) => gotElsewhere.push(n.context.id), agent: () => {} })];
    const legacy: string[] = [];
    const listening = nc.subscribe(subjects.legacyActorState('conversation'), { callback: (_err, msg) => void legacy.push(msg.json<ConversationNote>().context.id) });
    await nc.flush();
    const fromOldRelease = (id: string) => {
      const h = natsHeaders();
      h.set('Parley-Note-Origin', 'a-router-of-the-release-before');
      nc.publish(subjects.legacyActorState('conversation'), JSON.stringify(note(id)), { headers: h });
    };
    const heardBoth = (id: string) => waitFor(() => (gotHere.includes(id) && gotElsewhere.includes(id) ? true : undefined), { what: `${id} on both` });
    // Nobody of the release before heard yet: batches only.
    here.conversation(note('batched-only'));
    await heardBoth('batched-only');
    // Both hear one; `here` stops publishing that way a minute later, `elsewhere` goes on.
    fromOldRelease('old-1');
    await heardBoth('old-1');
    clock.here += LEGACY_PEER_MS;
    // `elsewhere` publishes both ways; `here`, of this release, takes the batch and drops
    // the copy: it gets the note once, and the copy does not make it publish both ways.
    elsewhere.conversation(note('both-ways'));
    await heardBoth('both-ways');
    here.conversation(note('from-here'));
    await heardBoth('from-here');
    clock.elsewhere += LEGACY_PEER_MS;
    elsewhere.conversation(note('batched-again'));
    await heardBoth('batched-again');
    await nc.flush();
    for (const f of following) f.stop();
    listening.unsubscribe();
    const ids = ['batched-only', 'old-1', 'both-ways', 'from-here', 'batched-again'];
    expect(gotHere).toEqual(ids);
    expect(gotElsewhere).toEqual(ids);
    // The release before reads the copies of the notes published while it was heard.
    expect(legacy).toEqual(['old-1', 'both-ways']);
  });

  it('reports a publish that fails (a closed connection) and still gives the note to its own followers', async () => {
    const closed = await connectBus({ url: services.natsUrl });
    const errors: unknown[] = [];
    const feed = new ActorStateFeed(closed, (err) => errors.push(err));
    const got: string[] = [];
    feed.follow({ conversation: (n) => got.push(n.context.id), agent: () => {} });
    await closed.close();
    feed.conversation(note('after-close'));
    // The batch goes out at the end of the job: an exception there would reach nobody.
    await Promise.resolve();
    expect(got).toEqual(['after-close']);
    expect(errors).toHaveLength(1);
  });

  it('carries the trace of the step that made each note: a follower on another node runs in it', async () => {
    const sdk = new NodeSDK({ serviceName: 'state-feed-test', spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })], instrumentations: [], logRecordProcessors: [] });
    sdk.start();
    try {
      const here = new ActorStateFeed(nc, () => {});
      const elsewhere = new ActorStateFeed(nc, () => {});
      const runsIn: (string | undefined)[] = [];
      const traceNow = () => runsIn.push(trace.getSpanContext(context.active())?.traceId);
      const following = here.follow({ conversation: traceNow, agent: traceNow });
      await nc.flush();
      const tracer = trace.getTracer('state-feed-test');
      const made: string[] = [];
      // Three steps, each in its own trace, published in one go (one message per subject).
      const step = (publish: () => void) =>
        tracer.startActiveSpan('step', (span) => {
          made.push(span.spanContext().traceId);
          publish();
          span.end();
        });
      step(() => elsewhere.conversation(note('traced-1')));
      step(() => elsewhere.conversation(note('traced-2')));
      step(() => elsewhere.agent({ view: agentViewOf(agentContext('acme', 'ana', { skills: ['support'], capacity: { message: 4 } })) }));
      await waitFor(() => (runsIn.length === 3 ? true : undefined), { what: 'three notes' });
      following.stop();
      expect(new Set(made).size).toBe(3);
      expect(runsIn).toEqual(made);
    } finally {
      await sdk.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    }
  });

  it('is described in docs/cluster.md with its limits as the code has them', () => {
    const doc = readFileSync(new URL('../../docs/cluster.md', import.meta.url), 'utf8');
    expect(doc).toContain(`up to ${MAX_BATCH_CHARS / 1024} K characters a message (\`MAX_BATCH_CHARS\`;`);
    expect(doc).toContain(`in the last ${LEGACY_PEER_MS / 1000} s (\`LEGACY_PEER_MS\`)`);
    expect(doc).toContain(`\`${subjects.actorStates('conversations')}\``);
    expect(doc).toContain(`\`${subjects.actorStates('agents')}\``);
  });

  it("carries an agent's view, the same size whatever its load", async () => {
    const here = new ActorStateFeed(nc, () => {});
    const elsewhere = new ActorStateFeed(nc, () => {});
    const got: AgentNote[] = [];
    const following = here.follow({ conversation: () => {}, agent: (n) => got.push(n) });
    await nc.flush();
    const busy = agentContext('acme', 'ana', {
      skills: ['billing', 'sales'],
      proficiency: { billing: 5 },
      languages: ['en', 'fr'],
      capacity: { message: 25 },
      active: Array.from({ length: 24 }, (_, i) => ({ conversationId: `c-${i}`, offerId: `o-${i}`, mediaType: 'message' as const, since: '2026-11-22T08:00:00.000Z' })),
    });
    const published: number[] = [];
    const listening = nc.subscribe(subjects.actorStates('agents'), { callback: (_err, msg) => void published.push(msg.data.length) });
    await nc.flush();
    elsewhere.agent({ view: agentViewOf(busy), offerId: 'o-24' });
    await waitFor(() => (got.length === 1 && published.length === 1 ? true : undefined), { what: 'the agent note' });
    following.stop();
    listening.unsubscribe();
    expect(got).toEqual([{ view: agentViewOf(busy), offerId: 'o-24' }]);
    expect(got[0]?.view.offerable).toEqual({ message: 1, email: 0, sms: 0, webchat: 0 });
    // Its 24 conversations are not in it: the note is the size of an idle agent's.
    expect(published[0]).toBeLessThan(500);
  });
});
