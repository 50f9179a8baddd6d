import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { collectEffects } from '../actor/collect-effects.ts';
import { conversationMachine } from './machine.ts';
import type { ConversationActorEvent } from './events.ts';

const at = '2026-11-22T10:00:00.000Z';
const later = '2026-11-22T10:05:00.000Z';
const message = (id: string, sentAt = at) => ({ id, conversationId: 'c1', direction: 'inbound' as const, channel: 'whatsapp', text: 'hi', sentAt });

function start() {
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
    threadingWindowMs: 72 * 3_600_000,
    alertingTimeoutMs: 30_000,
    lastAgentId: null,
    lastMessageAt: at,
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
  it('queues on the first message, then is offered and connected, answering the accept command', () => {
    const { snapshot, effects } = run(connectedToAlice);
    expect(snapshot.value).toBe('connected');
    expect(snapshot.context).toMatchObject({ agentId: 'alice', lastAgentId: 'alice', offer: null, enqueuedAt: null });
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
      { kind: 'send', to: { kind: 'agent', id: 'bob' }, event: { type: 'assignment.release', at, conversationId: 'c1' } },
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

    const back = run([{ type: 'customer.message', at: later, message: message('m2', later) }], parked.snapshot);
    expect(back.snapshot.value).toBe('reopening');
    expect(back.effects[0]).toEqual({ kind: 'timer.cancel', name: 'threading-window' });
    expect(back.effects[1]).toMatchObject({ kind: 'send', to: { kind: 'agent', id: 'alice' }, event: { type: 'offer.request', reason: { affinity: 'last-agent' } } });

    const declined = back.snapshot.context.offer?.offerId as string;
    const queued = run([{ type: 'offer.declined', at: later, offerId: declined, agentId: 'alice', reason: 'unavailable' }], back.snapshot);
    expect(queued.snapshot.value).toBe('queued');
  });

  it('closes when the window expires while parked', () => {
    const parked = run([...connectedToAlice, { type: 'agent.close', at, commandId: 'cmd-close', agentId: 'alice' }]);
    const { snapshot } = run([{ type: 'window.expired', at: later }], parked.snapshot);
    expect(snapshot.value).toBe('closed');
    expect(snapshot.context.closedAt).toBe(later);
  });
});
