import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { collectEffects } from '../runtime/index.ts';
import { conversationMachine } from './machine.ts';
import { DEFAULT_POLICY } from './policy.ts';
import type { ConversationActorEvent } from './events.ts';

const at = '2026-11-22T10:00:00.000Z';
const later = '2026-11-22T10:05:00.000Z';
const message = (id: string, sentAt = at) => ({ id, conversationId: 'c1', direction: 'inbound' as const, channel: 'whatsapp', text: 'hi', sentAt });

function start(over: Partial<Parameters<typeof initialTransition<typeof conversationMachine>>[1]> = {}) {
  const [snapshot] = initialTransition(conversationMachine, {
    id: 'c1',
    tenant: 'acme',
    channel: 'whatsapp',
    channelType: 'whatsapp',
    mediaType: 'message',
    customerId: 'cust-1',
    customer: { id: '+33612345678', idType: 'phone' },
    queue: 'support',
    skills: ['support'],
    language: null,
    priority: 0,
    preferredAgents: [],
    threadingWindowMs: 72 * 3_600_000,
    policy: DEFAULT_POLICY,
    bot: null,
    attributes: {},
    lastMessageAt: at,
    ...over,
  });
  return snapshot;
}

/** Runs events in order; returns the final snapshot and the effects of the last event. */
function run(events: ConversationActorEvent[], snapshot = start()) {
  let effects: ReturnType<typeof collectEffects> = [];
  for (const event of events) {
    const [next, actions] = transition(conversationMachine, snapshot, event);
    snapshot = next;
    effects = collectEffects(actions);
  }
  return { snapshot, effects };
}

const connectedToAlice: ConversationActorEvent[] = [
  { type: 'customer.message', at, message: message('m1') },
  { type: 'offer.reserved', at, offerId: 'o1', agentId: 'alice' },
  { type: 'offer.accepted', at, offerId: 'o1', agentId: 'alice', commandId: 'cmd-accept' },
];

describe('conversation machine', () => {
  describe('started by an agent', () => {
    const startEvent: ConversationActorEvent = { type: 'agent.start', at, commandId: 'cmd-start', agentId: 'alice', text: 'Hello' };

    it('asks the agent for a slot with no queue, then connects and sends the first message once it is taken', () => {
      const asked = run([startEvent]);
      expect(asked.snapshot.value).toBe('starting');
      expect(asked.effects).toEqual([
        { kind: 'send', to: { kind: 'agent', id: 'alice' }, event: { type: 'assignment.take', at, conversationId: 'c1', assignmentId: 'cmd-start', mediaType: 'message', queue: null } },
      ]);
      const { snapshot, effects } = run([{ type: 'assignment.taken', at: later, agentId: 'alice', assignmentId: 'cmd-start' }], asked.snapshot);
      expect(snapshot.value).toBe('connected');
      expect(snapshot.context).toMatchObject({ agentId: 'alice', assignmentId: 'cmd-start', lastAgentId: 'alice', opening: undefined, lastMessageAt: later });
      expect(effects.map((e) => e.kind)).toEqual(['message.store', 'deliver', 'notify', 'reply']);
      expect(effects[1]).toMatchObject({ kind: 'deliver', message: { id: 'cmd-start', agentId: 'alice', text: 'Hello', to: { id: '+33612345678', idType: 'phone' } } });
      expect(effects[3]).toEqual({ kind: 'reply', agentId: 'alice', commandId: 'cmd-start' });
    });

    it('sends a WhatsApp template instead of the text, and stores the text (what the customer reads)', () => {
      const template = { name: 'order_ready', language: 'en_US', components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] }] };
      const asked = run([{ ...startEvent, text: 'Hello Ana', template }]);
      const { effects } = run([{ type: 'assignment.taken', at: later, agentId: 'alice', assignmentId: 'cmd-start' }], asked.snapshot);
      expect(effects[0]).toMatchObject({ kind: 'message.store', message: { text: 'Hello Ana' } });
      expect(effects[0]).not.toHaveProperty('message.template');
      expect(effects[1]).toMatchObject({ kind: 'deliver', message: { id: 'cmd-start', text: 'Hello Ana', template } });
    });

    it('closes without sending anything when the agent has no slot, and a customer message then starts a new conversation elsewhere', () => {
      const { snapshot, effects } = run([startEvent, { type: 'assignment.refused', at, agentId: 'alice', error: 'agentAtCapacity' }]);
      expect(snapshot.value).toBe('closed');
      expect(snapshot.context.closeReason).toBe('notStarted');
      expect(effects).toEqual([{ kind: 'reply', agentId: 'alice', commandId: 'cmd-start', error: 'agentAtCapacity' }]);
      expect(run([{ type: 'customer.message', at: later, message: message('m9', later) }], snapshot).snapshot.value).toBe('closed');
    });

    it('continues a parked conversation, and parks it again when refused', () => {
      const parked = run([...connectedToAlice, { type: 'agent.close', at, commandId: 'cmd-close', agentId: 'alice' }]).snapshot;
      expect(parked.value).toBe('parked');
      const asked = run([{ ...startEvent, agentId: 'bob' }], parked);
      expect(asked.snapshot.value).toBe('starting');
      expect(asked.effects.map((e) => e.kind)).toEqual(['timer.cancel', 'send']);
      const refused = run([{ type: 'assignment.refused', at, agentId: 'bob', error: 'agentAtCapacity' }], asked.snapshot);
      expect(refused.snapshot.value).toBe('parked');
      expect(refused.effects.map((e) => e.kind)).toEqual(['reply', 'timer.arm']);
    });
  });

  it('queues on the first message, then is offered and connected, answering the accept command', () => {
    const { snapshot, effects } = run(connectedToAlice);
    expect(snapshot.value).toBe('connected');
    expect(snapshot.context).toMatchObject({ agentId: 'alice', assignmentId: 'o1', lastAgentId: 'alice', offer: null, target: null });
    expect(effects).toEqual([
      { kind: 'notify', agentId: 'alice', event: { type: 'conversation.assigned', conversationId: 'c1', offerId: 'o1' } },
      { kind: 'reply', agentId: 'alice', commandId: 'cmd-accept' },
    ]);
  });

  it('rescinds a second reservation instead of connecting twice', () => {
    const { snapshot, effects } = run([...connectedToAlice, { type: 'offer.reserved', at, offerId: 'o2', agentId: 'bob' }]);
    expect(snapshot.context.agentId).toBe('alice');
    expect(effects).toEqual([{ kind: 'send', to: { kind: 'agent', id: 'bob' }, event: { type: 'offer.rescind', at, offerId: 'o2' } }]);
  });

  it('releases an acceptance of an offer that is no longer current and tells the agent', () => {
    const { effects } = run([...connectedToAlice, { type: 'offer.accepted', at, offerId: 'o-old', agentId: 'bob', commandId: 'cmd-late' }]);
    expect(effects).toEqual([
      { kind: 'send', to: { kind: 'agent', id: 'bob' }, event: { type: 'assignment.release', at, conversationId: 'c1', stray: true } },
      { kind: 'reply', agentId: 'bob', commandId: 'cmd-late', error: 'offerNotFound' },
    ]);
  });

  it('refuses a message from an agent it is not assigned to, and sends nothing', () => {
    const { effects } = run([...connectedToAlice, { type: 'agent.message', at, commandId: 'cmd-x', agentId: 'mallory', text: 'hello' }]);
    expect(effects).toEqual([{ kind: 'reply', agentId: 'mallory', commandId: 'cmd-x', error: 'notAssigned' }]);
  });

  it('stores and delivers a message from its agent, addressed to the customer', () => {
    const { effects } = run([...connectedToAlice, { type: 'agent.message', at: later, commandId: '8f0c1d5e-9a6b-4c1e-8f3a-2b7d4e6f1a90', agentId: 'alice', text: 'On it' }]);
    expect(effects.map((e) => e.kind)).toEqual(['message.store', 'deliver', 'reply']);
    expect(effects[1]).toMatchObject({ kind: 'deliver', message: { id: '8f0c1d5e-9a6b-4c1e-8f3a-2b7d4e6f1a90', to: { id: '+33612345678', idType: 'phone' }, text: 'On it', agentId: 'alice' } });
  });

  it('goes back to the queue when the offer is declined, remembering who let it go', () => {
    const { snapshot } = run([
      { type: 'customer.message', at, message: message('m1') },
      { type: 'offer.reserved', at, offerId: 'o1', agentId: 'alice' },
      { type: 'offer.declined', at, offerId: 'o1', agentId: 'alice', reason: 'timeout' },
    ]);
    expect(snapshot.value).toBe('queued');
    expect(snapshot.context.declinedBy).toEqual(['alice']);
  });

  it('when parked, arms the window from the last message, and a returning customer is offered to the last agent first', () => {
    const parked = run([...connectedToAlice, { type: 'agent.close', at: later, commandId: 'cmd-close', agentId: 'alice' }]);
    expect(parked.snapshot.value).toBe('parked');
    expect(parked.effects).toContainEqual({ kind: 'timer.arm', name: 'threading-window', at: '2026-11-25T10:00:00.000Z', event: { type: 'window.expired', at: '2026-11-25T10:00:00.000Z' } });

    // Back inside the window: it waits for the last agent (30 s by default) before anyone else.
    const back = run([{ type: 'customer.message', at: later, message: message('m2', later) }], parked.snapshot);
    expect(back.snapshot.value).toBe('queued');
    expect(back.snapshot.context.target).toEqual({ agents: ['alice'], until: '2026-11-22T10:05:30.000Z', reason: 'last-agent' });
    expect(back.effects).toEqual([
      { kind: 'timer.cancel', name: 'threading-window' },
      { kind: 'timer.arm', name: 'routing-target', at: '2026-11-22T10:05:30.000Z', event: { type: 'target.expired', at: '2026-11-22T10:05:30.000Z' } },
    ]);
    const open = run([{ type: 'target.expired', at: '2026-11-22T10:05:30.000Z' }], back.snapshot);
    expect(open.snapshot.context.target).toBeNull();
  });

  it('closes when the window expires while parked', () => {
    const parked = run([...connectedToAlice, { type: 'agent.close', at, commandId: 'cmd-close', agentId: 'alice' }]);
    const { snapshot } = run([{ type: 'window.expired', at: later }], parked.snapshot);
    expect(snapshot.value).toBe('closed');
    expect(snapshot.context.closedAt).toBe(later);
  });

  it('waits for its preferred agents first, until the queue timeout', () => {
    const { snapshot, effects } = run([{ type: 'customer.message', at, message: message('m1') }], start({ preferredAgents: ['vera', 'yann'] }));
    expect(snapshot.context.target).toEqual({ agents: ['vera', 'yann'], until: '2026-11-22T10:01:00.000Z', reason: 'preferred' });
    expect(effects).toContainEqual({ kind: 'timer.arm', name: 'routing-target', at: '2026-11-22T10:01:00.000Z', event: { type: 'target.expired', at: '2026-11-22T10:01:00.000Z' } });
  });

  it('moves out through the bullseye rings on durable timers, then overflows', () => {
    const policy = { ...DEFAULT_POLICY, ringWaitsMs: [10_000, 20_000], whenExhausted: 'overflow' as const, overflowQueue: 'backup' };
    const queued = run([{ type: 'customer.message', at, message: message('m1') }], start({ policy }));
    expect(queued.effects).toContainEqual({ kind: 'timer.arm', name: 'bullseye', at: '2026-11-22T10:00:10.000Z', event: { type: 'ring.advance', at: '2026-11-22T10:00:10.000Z' } });
    const ring1 = run([{ type: 'ring.advance', at: '2026-11-22T10:00:10.000Z' }], queued.snapshot);
    expect(ring1.snapshot.context.ring).toBe(1);
    // The ring clock runs from when it was queued: 10 s + 20 s.
    expect(ring1.effects).toContainEqual({ kind: 'timer.arm', name: 'bullseye', at: '2026-11-22T10:00:30.000Z', event: { type: 'ring.advance', at: '2026-11-22T10:00:30.000Z' } });
    const overflowed = run([{ type: 'ring.advance', at: '2026-11-22T10:00:30.000Z' }], ring1.snapshot);
    expect(overflowed.snapshot.value).toBe('queued');
    expect(overflowed.snapshot.context).toMatchObject({ queue: 'backup', ring: 0, policy: { ringWaitsMs: [], overflowQueue: null } });
  });

  it('takes the overflow queue\'s own rules when overflowing, and runs its rings from then', () => {
    const backup = { ...DEFAULT_POLICY, alertingTimeoutMs: 5_000, ringWaitsMs: [60_000] };
    const policy = { ...DEFAULT_POLICY, ringWaitsMs: [10_000], whenExhausted: 'overflow' as const, overflowQueue: 'backup', overflowPolicy: backup };
    const queued = run([{ type: 'customer.message', at, message: message('m1') }], start({ policy }));
    const overflowed = run([{ type: 'ring.advance', at: '2026-11-22T10:00:10.000Z' }], queued.snapshot);
    expect(overflowed.snapshot.context).toMatchObject({ queue: 'backup', policy: backup, ring: 0, enqueuedAt: '2026-11-22T10:00:10.000Z' });
    expect(overflowed.effects).toContainEqual({ kind: 'timer.arm', name: 'bullseye', at: '2026-11-22T10:01:10.000Z', event: { type: 'ring.advance', at: '2026-11-22T10:01:10.000Z' } });
  });

  it('re-arms the same ring deadline after a declined offer (the clock does not restart)', () => {
    const policy = { ...DEFAULT_POLICY, ringWaitsMs: [10_000] };
    const { effects } = run(
      [
        { type: 'customer.message', at, message: message('m1') },
        { type: 'offer.reserved', at: later, offerId: 'o1', agentId: 'alice' },
        { type: 'offer.declined', at: later, offerId: 'o1', agentId: 'alice', reason: 'rejected' },
      ],
      start({ policy }),
    );
    expect(effects).toContainEqual({ kind: 'timer.arm', name: 'bullseye', at: '2026-11-22T10:00:10.000Z', event: { type: 'ring.advance', at: '2026-11-22T10:00:10.000Z' } });
  });

  it('requires a known wrap-up code when the queue asks for one, stores it and holds the slot for after-work', () => {
    const policy = { ...DEFAULT_POLICY, wrapUp: { codes: ['resolved', 'callback'], required: true, afterWorkMs: 15_000 } };
    const connected = run(connectedToAlice, start({ policy }));
    const missing = run([{ type: 'agent.close', at, commandId: 'c1', agentId: 'alice' }], connected.snapshot);
    expect(missing.snapshot.value).toBe('connected');
    expect(missing.effects).toEqual([{ kind: 'reply', agentId: 'alice', commandId: 'c1', error: 'wrapUpRequired' }]);
    const unknown = run([{ type: 'agent.close', at, commandId: 'c2', agentId: 'alice', wrapUpCode: 'nope' }], connected.snapshot);
    expect(unknown.effects).toEqual([{ kind: 'reply', agentId: 'alice', commandId: 'c2', error: 'invalidWrapUpCode' }]);
    const done = run([{ type: 'agent.close', at, commandId: 'c3', agentId: 'alice', wrapUpCode: 'resolved' }], connected.snapshot);
    expect(done.snapshot.value).toBe('parked');
    expect(done.effects).toContainEqual({ kind: 'assignment.wrap-up', offerId: 'o1', code: 'resolved' });
    expect(done.effects).toContainEqual({ kind: 'send', to: { kind: 'agent', id: 'alice' }, event: { type: 'assignment.release', at, conversationId: 'c1', afterWorkMs: 15_000 } });
  });

  it('transfers blind to another queue with that queue\'s rules, or to one agent it then waits for', () => {
    const connected = run(connectedToAlice);
    const policy = { ...DEFAULT_POLICY, alertingTimeoutMs: 5_000 };
    const toQueue = run([{ type: 'agent.transfer', at: later, commandId: 't1', agentId: 'alice', to: { queue: 'billing', policy } }], connected.snapshot);
    expect(toQueue.snapshot.value).toBe('queued');
    expect(toQueue.snapshot.context).toMatchObject({ queue: 'billing', policy, agentId: null, target: null, ring: 0, enqueuedAt: later });
    expect(toQueue.effects).toContainEqual({ kind: 'send', to: { kind: 'agent', id: 'alice' }, event: { type: 'assignment.release', at: later, conversationId: 'c1', afterWorkMs: 0 } });
    expect(toQueue.effects).toContainEqual({ kind: 'reply', agentId: 'alice', commandId: 't1' });

    const toAgent = run([{ type: 'agent.transfer', at: later, commandId: 't2', agentId: 'alice', to: { agent: 'bruno' } }], connected.snapshot);
    expect(toAgent.snapshot.context.target).toEqual({ agents: ['bruno'], until: null, reason: 'transfer' });

    // Who transferred it, with the note, until the next agent answers.
    expect(toAgent.snapshot.context.transferredBy).toEqual({ agentId: 'alice' });
    const noted = run([{ type: 'agent.transfer', at: later, commandId: 't4', agentId: 'alice', to: { agent: 'bruno' }, note: 'wants a refund' }], connected.snapshot);
    expect(noted.snapshot.context.transferredBy).toEqual({ agentId: 'alice', note: 'wants a refund' });
    const offered = run([{ type: 'offer.reserved', at: later, offerId: 'o9', agentId: 'bruno' }], noted.snapshot);
    expect(offered.snapshot.context.transferredBy).toEqual({ agentId: 'alice', note: 'wants a refund' });
    const answered = run([{ type: 'offer.accepted', at: later, offerId: 'o9', agentId: 'bruno' }], offered.snapshot);
    expect(answered.snapshot.value).toBe('connected');
    expect(answered.snapshot.context.transferredBy).toBeUndefined();

    const stranger = run([{ type: 'agent.transfer', at: later, commandId: 't3', agentId: 'mallory', to: { agent: 'bruno' } }], connected.snapshot);
    expect(stranger.effects).toEqual([{ kind: 'reply', agentId: 'mallory', commandId: 't3', error: 'notAssigned' }]);
  });

  describe('its queue deleted', () => {
    const spill = { ...DEFAULT_POLICY, alertingTimeoutMs: 5_000, ringWaitsMs: [60_000] };
    const queued = () => run([{ type: 'customer.message', at, message: message('m1') }], start({ policy: { ...DEFAULT_POLICY, ringWaitsMs: [30_000] } })).snapshot;

    it('moves a waiting conversation to the queue named, starting the wait over, once', () => {
      const moved = run([{ type: 'queue.deleted', at: later, queue: 'support', to: { queue: 'spill', policy: spill } }], queued());
      expect(moved.snapshot.value).toBe('queued');
      expect(moved.snapshot.context).toMatchObject({ queue: 'spill', policy: spill, ring: 0, enqueuedAt: later, target: null, closedAt: null });
      expect(moved.effects).toContainEqual({ kind: 'timer.cancel', name: 'bullseye' });
      expect(moved.effects).toContainEqual({ kind: 'timer.arm', name: 'bullseye', at: '2026-11-22T10:06:00.000Z', event: { type: 'ring.advance', at: '2026-11-22T10:06:00.000Z' } });

      // A second router's copy of the event finds it elsewhere already: nothing happens.
      const again = run([{ type: 'queue.deleted', at: later, queue: 'support', to: null }], moved.snapshot);
      expect(again.snapshot.value).toBe('queued');
      expect(again.snapshot.context.queue).toBe('spill');
      expect(again.effects).toEqual([]);
    });

    it('closes an offered conversation with nowhere to go, with reason queueDeleted, and rescinds its offer', () => {
      const offered = run([{ type: 'offer.reserved', at, offerId: 'o1', agentId: 'alice' }], queued()).snapshot;
      const closed = run([{ type: 'queue.deleted', at: later, queue: 'support', to: null }], offered);
      expect(closed.snapshot.value).toBe('closed');
      expect(closed.snapshot.context).toMatchObject({ closedAt: later, closeReason: 'queueDeleted', offer: null });
      expect(closed.effects).toContainEqual({ kind: 'send', to: { kind: 'agent', id: 'alice' }, event: { type: 'offer.rescind', at: later, offerId: 'o1' } });
      // The agent accepted just before the rescind arrived: the acceptance is released, not connected.
      const late = run([{ type: 'offer.accepted', at: later, offerId: 'o1', agentId: 'alice' }], closed.snapshot);
      expect(late.snapshot.value).toBe('closed');
      expect(late.effects).toContainEqual({ kind: 'send', to: { kind: 'agent', id: 'alice' }, event: { type: 'assignment.release', at: later, conversationId: 'c1', stray: true } });
    });

    it('leaves a connected conversation with its agent', () => {
      const connected = run(connectedToAlice).snapshot;
      const after = run([{ type: 'queue.deleted', at: later, queue: 'support', to: null }], connected);
      expect(after.snapshot.value).toBe('connected');
      expect(after.effects).toEqual([]);
    });
  });
  it('a campaign reply answered by its reply bot closes after the silence window; other bot conversations keep no window', () => {
    const bot = { subject: 'parley.v1.campaign.replies.acme.spring', timeoutMs: 5_000 };
    const first = run([{ type: 'customer.message', at, message: message('m1') }], start({ bot, campaign: 'spring', threadingWindowMs: 60_000 }));
    expect(first.snapshot.value).toBe('bot');
    expect(first.snapshot.context.campaign).toBe('spring');
    expect(first.effects).toContainEqual({ kind: 'timer.arm', name: 'threading-window', at: '2026-11-22T10:01:00.000Z', event: { type: 'window.expired', at: '2026-11-22T10:01:00.000Z' } });
    // Each customer message moves the deadline.
    const second = run([{ type: 'customer.message', at: later, message: message('m2', later) }], first.snapshot);
    expect(second.effects).toContainEqual(expect.objectContaining({ kind: 'timer.arm', name: 'threading-window', at: '2026-11-22T10:06:00.000Z' }));
    const closed = run([{ type: 'window.expired', at: '2026-11-22T10:06:00.000Z' }], second.snapshot);
    expect(closed.snapshot.value).toBe('closed');
    expect(closed.snapshot.context.closedAt).toBe('2026-11-22T10:06:00.000Z');
    expect(closed.effects).toContainEqual({ kind: 'timer.cancel', name: 'bot' });

    const plain = run([{ type: 'customer.message', at, message: message('m1') }], start({ bot }));
    expect(plain.effects.some((e) => e.kind === 'timer.arm' && e.name === 'threading-window')).toBe(false);
  });
});
