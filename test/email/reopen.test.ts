import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { conversationMachine } from '../../src/conversation/machine.ts';
import { DEFAULT_POLICY } from '../../src/conversation/policy.ts';
import type { ConversationActorEvent } from '../../src/conversation/events.ts';

const at = '2026-11-22T10:00:00.000Z';
const fiveDaysLater = '2026-11-27T10:00:00.000Z';
const message = (id: string, sentAt = at) => ({ id, conversationId: 'c1', direction: 'inbound' as const, channel: 'mail', text: 'hi', sentAt });

function run(events: ConversationActorEvent[]) {
  let [snapshot] = initialTransition(conversationMachine, {
    id: 'c1',
    tenant: 'acme',
    channel: 'mail',
    channelType: 'email',
    mediaType: 'email',
    customerId: 'cust-1',
    customer: { id: 'jane@customer.example', idType: 'email' },
    queue: 'support',
    skills: [],
    language: null,
    priority: 0,
    preferredAgents: [],
    threadingWindowMs: 72 * 3_600_000,
    policy: DEFAULT_POLICY,
    bot: null,
    attributes: {},
    lastMessageAt: at,
  });
  for (const event of events) [snapshot] = transition(conversationMachine, snapshot, event);
  return snapshot;
}

/**
 * The router hands a closed conversation a customer message only for an e-mail reply to
 * its thread (store/thread-lookup.ts): the conversation reopens.
 */
describe('a closed conversation and a reply to its thread', () => {
  const closedAfterAlice: ConversationActorEvent[] = [
    { type: 'customer.message', at, message: message('m1') },
    { type: 'offer.reserved', at, offerId: 'o1', agentId: 'alice' },
    { type: 'offer.accepted', at, offerId: 'o1', agentId: 'alice', commandId: 'cmd-accept' },
    { type: 'agent.close', at, commandId: 'cmd-close', agentId: 'alice' },
    { type: 'window.expired', at: '2026-11-25T10:00:00.000Z' },
  ];

  it('reopens a conversation its window closed: queued again, waiting for its last agent first', () => {
    const closed = run(closedAfterAlice);
    expect(closed.value).toBe('closed');
    const reopened = transition(conversationMachine, closed, { type: 'customer.message', at: fiveDaysLater, message: message('m2', fiveDaysLater) })[0];
    expect(reopened.value).toBe('queued');
    expect(reopened.context).toMatchObject({ closedAt: null, lastMessageAt: fiveDaysLater, lastAgentId: 'alice', target: { agents: ['alice'], reason: 'last-agent' } });
  });

  it('keeps a conversation closed because its queue was deleted closed', () => {
    const closed = run([{ type: 'customer.message', at, message: message('m1') }, { type: 'queue.deleted', at, queue: 'support', to: null }]);
    expect(closed.value).toBe('closed');
    const after = transition(conversationMachine, closed, { type: 'customer.message', at: fiveDaysLater, message: message('m2', fiveDaysLater) })[0];
    expect(after.value).toBe('closed');
  });
});
