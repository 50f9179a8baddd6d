import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { collectEffects } from '../runtime/index.ts';
import { agentMachine } from './machine.ts';
import type { AgentActorEvent, OfferRequest } from './events.ts';

const at = '2026-11-22T10:00:00.000Z';

function run(events: AgentActorEvent[]) {
  let [snapshot] = initialTransition(agentMachine, { tenant: 'acme', id: 'alice', at });
  let effects: ReturnType<typeof collectEffects> = [];
  for (const event of events) {
    const [next, actions] = transition(agentMachine, snapshot, event);
    snapshot = next;
    effects = collectEffects(actions);
  }
  return { snapshot, effects };
}

const configure: AgentActorEvent = { type: 'agent.configure', at, commandId: 'c0', name: 'Alice', skills: ['support'], capacity: { message: 1 } };
const available: AgentActorEvent = { type: 'presence.set', at, commandId: 'c1', presence: 'available' };
const request = (offerId: string, conversationId: string, mediaType: OfferRequest['mediaType'] = 'message'): OfferRequest => ({
  type: 'offer.request',
  at,
  offerId,
  conversationId,
  mediaType,
  queue: 'support',
  channel: 'whatsapp',
  channelType: 'whatsapp',
  customerId: 'cust',
  timeoutMs: 30_000,
  reason: { method: 'longest-idle', candidates: 1 },
});

describe('agent machine', () => {
  describe('a conversation the agent starts', () => {
    const take = (conversationId: string): AgentActorEvent => ({ type: 'assignment.take', at, conversationId, assignmentId: `a-${conversationId}`, mediaType: 'message', queue: null });

    it('takes a free slot at once, recorded as an accepted assignment without a queue', () => {
      const { snapshot, effects } = run([configure, available, take('conv-1')]);
      expect(snapshot.context.active).toEqual([{ conversationId: 'conv-1', offerId: 'a-conv-1', mediaType: 'message', since: at }]);
      expect(effects.map((e) => e.kind)).toEqual(['assignment.offer', 'assignment.update', 'send', 'notify']);
      expect(effects[2]).toEqual({ kind: 'send', to: { kind: 'conversation', id: 'conv-1' }, event: { type: 'assignment.taken', at, agentId: 'alice', assignmentId: 'a-conv-1' } });
    });

    it('refuses when the slot is taken or the agent is offline', () => {
      const refused = { kind: 'send', to: { kind: 'conversation', id: 'conv-2' }, event: { type: 'assignment.refused', at, agentId: 'alice', error: 'agentAtCapacity' } };
      expect(run([configure, available, take('conv-1'), take('conv-2')]).effects).toEqual([refused]);
      expect(run([configure, take('conv-2')]).effects).toEqual([refused]);
      // Away still works: the agent chose to write.
      expect(run([configure, { ...available, presence: 'away' }, take('conv-2')]).snapshot.context.active).toHaveLength(1);
    });
  });

  it('keeps when presence last changed: a new presence moves it, the same one again or an offer does not', () => {
    const later = (minutes: number) => new Date(Date.parse(at) + minutes * 60_000).toISOString();
    const set = (presence: 'available' | 'away' | 'offline', when: string): AgentActorEvent => ({ type: 'presence.set', at: when, commandId: `p-${when}`, presence });
    expect(run([configure]).snapshot.context.presenceSince).toBe(at);
    expect(run([configure, set('available', later(1))]).snapshot.context.presenceSince).toBe(later(1));
    expect(run([configure, set('available', later(1)), set('available', later(2))]).snapshot.context.presenceSince).toBe(later(1));
    expect(run([configure, set('available', later(1)), { ...request('o1', 'conv-1'), at: later(3) }]).snapshot.context.presenceSince).toBe(later(1));
    expect(run([configure, set('available', later(1)), set('away', later(4))]).snapshot.context.presenceSince).toBe(later(4));
    expect(run([configure, set('away', later(4)), set('offline', later(5))]).snapshot.context.presenceSince).toBe(later(5));
  });

  it('says who transferred the conversation on the offer, its pending copy and the assignment’s routing decision', () => {
    const transferredBy = { agentId: 'bruno', note: 'wants a refund' };
    const { snapshot, effects } = run([configure, available, { ...request('o1', 'conv-1'), transferredBy }]);
    expect(snapshot.context.offers[0]?.transferredBy).toEqual(transferredBy);
    expect(effects).toContainEqual(expect.objectContaining({ kind: 'assignment.offer', reason: { method: 'longest-idle', candidates: 1, transferredBy } }));
    const offerCreated = (list: typeof effects) => list.flatMap((e) => (e.kind === 'notify' && e.event.type === 'offer.created' ? [e.event] : []))[0];
    expect(offerCreated(effects)).toMatchObject({ offerId: 'o1', transferredBy });
    // An offer nobody transferred has no such field at all (the contract's optional field stays absent).
    expect(offerCreated(run([configure, available, request('o2', 'conv-2')]).effects)).not.toHaveProperty('transferredBy');
  });

  it('reserves a slot for an offer: assignment, timeout timer, reservation to the conversation, offer to the clients', () => {
    const { snapshot, effects } = run([configure, available, request('o1', 'conv-1')]);
    expect(snapshot.context.offers.map((o) => o.offerId)).toEqual(['o1']);
    expect(effects.map((e) => e.kind)).toEqual(['assignment.offer', 'timer.arm', 'send', 'notify', 'notify']);
    expect(effects[1]).toMatchObject({ kind: 'timer.arm', name: 'offer:o1', at: '2026-11-22T10:00:30.000Z' });
    expect(effects[2]).toEqual({ kind: 'send', to: { kind: 'conversation', id: 'conv-1' }, event: { type: 'offer.reserved', at, offerId: 'o1', agentId: 'alice' } });
  });

  it('declines an offer beyond its capacity: a ringing offer holds the slot', () => {
    const { snapshot, effects } = run([configure, available, request('o1', 'conv-1'), request('o2', 'conv-2')]);
    expect(snapshot.context.offers).toHaveLength(1);
    expect(effects).toEqual([
      { kind: 'send', to: { kind: 'conversation', id: 'conv-2' }, event: { type: 'offer.declined', at, offerId: 'o2', agentId: 'alice', reason: 'unavailable' } },
    ]);
  });

  it('declines offers while away', () => {
    const { effects } = run([configure, { type: 'presence.set', at, commandId: 'c2', presence: 'away' }, request('o1', 'conv-1')]);
    expect(effects[0]).toMatchObject({ kind: 'send', event: { type: 'offer.declined', reason: 'unavailable' } });
  });

  it('gives back ringing offers when going offline', () => {
    const { snapshot, effects } = run([configure, available, request('o1', 'conv-1'), { type: 'presence.set', at, commandId: 'c3', presence: 'offline' }]);
    expect(snapshot.context.offers).toEqual([]);
    expect(effects).toContainEqual({ kind: 'send', to: { kind: 'conversation', id: 'conv-1' }, event: { type: 'offer.declined', at, offerId: 'o1', agentId: 'alice', reason: 'offline' } });
  });

  it('turns an accepted offer into an active conversation and answers an unknown offer with offerNotFound', () => {
    const accepted = run([configure, available, request('o1', 'conv-1'), { type: 'offer.accept', at, commandId: 'c4', offerId: 'o1' }]);
    expect(accepted.snapshot.context.active).toEqual([{ conversationId: 'conv-1', offerId: 'o1', mediaType: 'message', since: at }]);
    expect(accepted.effects).toContainEqual({ kind: 'send', to: { kind: 'conversation', id: 'conv-1' }, event: { type: 'offer.accepted', at, offerId: 'o1', agentId: 'alice', commandId: 'c4' } });

    const unknown = run([configure, available, { type: 'offer.accept', at, commandId: 'c5', offerId: 'nope' }]);
    expect(unknown.effects).toEqual([{ kind: 'reply', agentId: 'alice', commandId: 'c5', error: 'offerNotFound' }]);
  });

  it('takes a message while working an e-mail, but no e-mail while working messages (interruptible-by defaults)', () => {
    const profile: AgentActorEvent = { type: 'agent.configure', at, commandId: 'c0', name: 'Alice', skills: [], capacity: { message: 2, email: 1 } };
    const onEmail = run([profile, available, request('o1', 'mail-1', 'email'), { type: 'offer.accept', at, commandId: 'c1', offerId: 'o1' }, request('o2', 'chat-1', 'message')]);
    expect(onEmail.snapshot.context.offers.map((o) => o.offerId)).toEqual(['o2']);

    const onMessage = run([profile, available, request('o1', 'chat-1', 'message'), request('o2', 'mail-1', 'email')]);
    expect(onMessage.effects).toEqual([
      { kind: 'send', to: { kind: 'conversation', id: 'mail-1' }, event: { type: 'offer.declined', at, offerId: 'o2', agentId: 'alice', reason: 'unavailable' } },
    ]);
  });

  it('accepts at once when it answers automatically', () => {
    const auto: AgentActorEvent = { ...configure, autoAccept: true };
    const { snapshot, effects } = run([auto, available, request('o1', 'conv-1')]);
    expect(snapshot.context.active.map((a) => a.offerId)).toEqual(['o1']);
    expect(snapshot.context.offers).toEqual([]);
    expect(effects.filter((e) => e.kind === 'send').map((e) => e.event.type)).toEqual(['offer.reserved', 'offer.accepted']);
  });

  it('records an acceptance the conversation did not take as rescinded, and a finished assignment as ended', () => {
    const auto: AgentActorEvent = { ...configure, autoAccept: true };
    const stray = run([auto, available, request('o1', 'conv-1'), { type: 'assignment.release', at, conversationId: 'conv-1', stray: true }]);
    expect(stray.snapshot.context.active).toEqual([]);
    expect(stray.effects).toContainEqual({ kind: 'assignment.update', offerId: 'o1', state: 'rescinded', at, queue: null });
    const finished = run([auto, available, request('o1', 'conv-1'), { type: 'assignment.release', at, conversationId: 'conv-1' }]);
    expect(finished.effects).toContainEqual({ kind: 'assignment.update', offerId: 'o1', state: 'ended', at, queue: null });
  });

  it('is set away after missing offers in a row, and the count restarts after an accepted one', () => {
    const strict: AgentActorEvent = { ...configure, capacity: { message: 5 }, awayAfterMissedOffers: 2 };
    const timeout = (offerId: string): AgentActorEvent => ({ type: 'offer.timeout', at, offerId });
    const accept = (offerId: string): AgentActorEvent => ({ type: 'offer.accept', at, commandId: `a-${offerId}`, offerId });
    expect(run([strict, available, request('o1', 'c1'), timeout('o1'), request('o2', 'c2'), accept('o2'), request('o3', 'c3'), timeout('o3')]).snapshot.value).toBe('available');
    const missedTwice = run([strict, available, request('o1', 'c1'), timeout('o1'), request('o2', 'c2'), timeout('o2')]);
    expect(missedTwice.snapshot.value).toBe('away');
    expect(missedTwice.snapshot.context.presence).toBe('away');
  });
});
