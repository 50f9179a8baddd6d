import { describe, expect, it } from 'vitest';
import type { OfferRequest } from '../agent/events.ts';
import { Scheduler } from './scheduler.ts';
import type { AgentView } from './agent-view.ts';
import type { WaitingConversation } from './waiting-conversation.ts';
import { ConfigRegistry, QueueResource } from '../config/index.ts';

const t0 = Date.parse('2026-11-22T10:00:00Z');

function agent(id: string, over: Partial<AgentView> = {}): AgentView {
  return {
    tenant: 'acme',
    id,
    available: true,
    online: true,
    skills: new Map([['support', 3]]),
    languages: new Set(),
    labels: {},
    offerable: { message: 1 },
    utilization: 0,
    lastActivityAt: t0,
    lastAssignedAt: t0,
    ...over,
  };
}

function waiting(id: string, over: Partial<WaitingConversation> = {}): WaitingConversation {
  return {
    id,
    tenant: 'acme',
    queue: 'support',
    skills: ['support'],
    language: null,
    mediaType: 'message',
    priority: 0,
    enqueuedAt: t0,
    declinedBy: [],
    channel: 'whatsapp',
    channelType: 'whatsapp',
    customerId: `customer-${id}`,
    customerName: undefined,
    alertingTimeoutMs: 30_000,
    ring: 0,
    target: null,
    ...over,
  };
}

/** A scheduler whose offers are recorded; `pass()` runs synchronously. */
function harness(queue?: Record<string, unknown>, now = t0) {
  const offers: { agentId: string; request: OfferRequest }[] = [];
  const registry = new ConfigRegistry();
  if (queue) registry.apply([QueueResource.parse({ apiVersion: 'parley.dev/v1alpha1', kind: 'Queue', metadata: { name: 'support', namespace: 'acme' }, spec: queue })]);
  const scheduler = new Scheduler({
    offer: (_tenant, agentId, request) => offers.push({ agentId, request }),
    queue: (tenant, name) => registry.queue(tenant, name),
    now: () => now,
  });
  return { scheduler, offers };
}

describe('Scheduler', () => {
  it('passes who transferred the conversation on to its offer, and nothing for one never transferred', () => {
    const { scheduler, offers } = harness();
    scheduler.agentChanged(agent('a1'));
    scheduler.conversationChanged(waiting('c1', { transferredBy: { agentId: 'ana', note: 'VIP' } }), true);
    scheduler.pass();
    expect(offers[0]?.request.transferredBy).toEqual({ agentId: 'ana', note: 'VIP' });
    scheduler.agentChanged(agent('a2'));
    scheduler.conversationChanged(waiting('c2'), true);
    scheduler.pass();
    expect(offers[1]?.request).not.toHaveProperty('transferredBy');
  });

  it('offers to an agent with every required skill, never to one missing a skill', () => {
    const { scheduler, offers } = harness();
    scheduler.agentChanged(agent('idle-longest-but-unskilled', { lastActivityAt: t0 - 60_000 }));
    scheduler.agentChanged(agent('skilled', { skills: new Map([['support', 3], ['billing', 3]]) }));
    scheduler.conversationChanged(waiting('c1', { skills: ['support', 'billing'] }), true);
    scheduler.pass();
    expect(offers.map((o) => o.agentId)).toEqual(['skilled']);
  });

  it('picks the agent idle longest among eligible ones, skipping the unavailable and the full', () => {
    const { scheduler, offers } = harness();
    scheduler.agentChanged(agent('away', { available: false, lastActivityAt: t0 - 90_000 }));
    scheduler.agentChanged(agent('full', { offerable: { message: 0 }, lastActivityAt: t0 - 80_000 }));
    scheduler.agentChanged(agent('recent', { lastActivityAt: t0 - 10_000 }));
    scheduler.agentChanged(agent('longest', { lastActivityAt: t0 - 50_000 }));
    scheduler.conversationChanged(waiting('c1'), true);
    scheduler.pass();
    expect(offers).toHaveLength(1);
    expect(offers[0]?.agentId).toBe('longest');
    expect(offers[0]?.request.reason).toMatchObject({ method: 'longest-idle', candidates: 2 });
  });

  it('serves higher priority first, then the conversation waiting longest', () => {
    const { scheduler, offers } = harness();
    scheduler.conversationChanged(waiting('late-low', { enqueuedAt: t0 }), true);
    scheduler.conversationChanged(waiting('early-low', { enqueuedAt: t0 - 5_000 }), true);
    scheduler.conversationChanged(waiting('late-high', { enqueuedAt: t0, priority: 10 }), true);
    scheduler.agentChanged(agent('a', { offerable: { message: 3 } }));
    scheduler.pass();
    expect(offers.map((o) => o.request.conversationId)).toEqual(['late-high', 'early-low', 'late-low']);
  });

  it('never offers more than the free capacity while offers are unanswered', () => {
    const { scheduler, offers } = harness();
    scheduler.agentChanged(agent('a', { offerable: { message: 2 } }));
    for (const id of ['c1', 'c2', 'c3', 'c4']) scheduler.conversationChanged(waiting(id), true);
    scheduler.pass();
    scheduler.pass();
    expect(offers).toHaveLength(2);
  });

  it('tries an agent who let the conversation go only when nobody else can take it', () => {
    const { scheduler, offers } = harness();
    scheduler.agentChanged(agent('declined', { lastActivityAt: t0 - 60_000 }));
    scheduler.conversationChanged(waiting('c1', { declinedBy: ['declined'] }), true);
    scheduler.pass();
    expect(offers.map((o) => o.agentId)).toEqual(['declined']);

    const second = harness();
    second.scheduler.agentChanged(agent('declined', { lastActivityAt: t0 - 60_000 }));
    second.scheduler.agentChanged(agent('other'));
    second.scheduler.conversationChanged(waiting('c1', { declinedBy: ['declined'] }), true);
    second.scheduler.pass();
    expect(second.offers.map((o) => o.agentId)).toEqual(['other']);
  });

  it('offers a conversation again once its offer was declined, and not before', () => {
    const { scheduler, offers } = harness();
    scheduler.agentChanged(agent('a', { offerable: { message: 5 } }));
    scheduler.conversationChanged(waiting('c1'), true);
    scheduler.pass();
    const first = offers[0]?.request.offerId as string;
    // An unrelated change of the conversation (a new customer message) keeps the offer in flight.
    scheduler.conversationChanged(waiting('c1'), true);
    scheduler.pass();
    expect(offers).toHaveLength(1);
    // The agent declined and the conversation committed that decline: offer again.
    scheduler.agentChanged(agent('a', { offerable: { message: 5 } }), first);
    scheduler.conversationChanged(waiting('c1'), true, first);
    scheduler.pass();
    expect(offers).toHaveLength(2);
    expect(offers[1]?.request.offerId).not.toBe(first);
  });

  it('keeps tenants apart', () => {
    const { scheduler, offers } = harness();
    scheduler.agentChanged(agent('other-tenant', { tenant: 'globex' }));
    scheduler.conversationChanged(waiting('c1'), true);
    scheduler.pass();
    expect(offers).toHaveLength(0);
  });

  describe('methods', () => {
    const team = () => [
      agent('idle', { lastActivityAt: t0 - 90_000, skills: new Map([['support', 2]]), utilization: 0.5, lastAssignedAt: t0 - 10_000 }),
      agent('expert', { lastActivityAt: t0 - 10_000, skills: new Map([['support', 5]]), utilization: 0.75, lastAssignedAt: t0 - 20_000 }),
      agent('free', { lastActivityAt: t0 - 20_000, skills: new Map([['support', 3]]), utilization: 0, lastAssignedAt: t0 - 5_000 }),
      agent('rotated', { lastActivityAt: t0 - 30_000, skills: new Map([['support', 3]]), utilization: 0.9, lastAssignedAt: t0 - 600_000 }),
    ];
    it.each([
      ['longest-idle', 'idle'],
      ['best-skills', 'expert'],
      ['most-available', 'free'],
      ['rotation', 'rotated'],
    ] as const)('%s picks %s', (method, expected) => {
      const { scheduler, offers } = harness({ method });
      for (const a of team()) scheduler.agentChanged(a);
      scheduler.conversationChanged(waiting('c1'), true);
      scheduler.pass();
      expect(offers[0]?.agentId).toBe(expected);
      expect(offers[0]?.request.reason).toMatchObject({ method, candidates: 4 });
    });

    it('breaks a best-skills tie by idle time', () => {
      const { scheduler, offers } = harness({ method: 'best-skills' });
      scheduler.agentChanged(agent('recent', { skills: new Map([['support', 4]]), lastActivityAt: t0 - 1_000 }));
      scheduler.agentChanged(agent('waiting', { skills: new Map([['support', 4]]), lastActivityAt: t0 - 9_000 }));
      scheduler.conversationChanged(waiting('c1'), true);
      scheduler.pass();
      expect(offers[0]?.agentId).toBe('waiting');
    });
  });

  it('offers only to members: listed agents or agents whose labels match', () => {
    const listed = harness({ members: { agents: ['bea'] } });
    const bySelector = harness({ members: { selector: { matchLabels: { team: 'vip' } } } });
    for (const h of [listed, bySelector]) {
      h.scheduler.agentChanged(agent('ann', { lastActivityAt: t0 - 60_000 }));
      h.scheduler.agentChanged(agent('bea', { labels: { team: 'vip' } }));
      h.scheduler.conversationChanged(waiting('c1'), true);
      h.scheduler.pass();
      expect(h.offers.map((o) => o.agentId)).toEqual(['bea']);
    }
  });

  it('requires the minimum proficiency the queue sets for a skill', () => {
    const { scheduler, offers } = harness({ minProficiency: { support: 4 } });
    scheduler.agentChanged(agent('junior', { skills: new Map([['support', 2]]), lastActivityAt: t0 - 60_000 }));
    scheduler.agentChanged(agent('senior', { skills: new Map([['support', 4]]) }));
    scheduler.conversationChanged(waiting('c1'), true);
    scheduler.pass();
    expect(offers.map((o) => o.agentId)).toEqual(['senior']);
  });

  it('requires the conversation language', () => {
    const { scheduler, offers } = harness();
    scheduler.agentChanged(agent('en', { languages: new Set(['en']), lastActivityAt: t0 - 60_000 }));
    scheduler.agentChanged(agent('fr', { languages: new Set(['fr', 'en']) }));
    scheduler.conversationChanged(waiting('c1', { language: 'fr' }), true);
    scheduler.pass();
    expect(offers.map((o) => o.agentId)).toEqual(['fr']);
  });

  it('ages priority: a long wait overtakes a higher priority that just arrived', () => {
    const { scheduler, offers } = harness({ aging: { every: '10s', step: 1 } });
    scheduler.conversationChanged(waiting('urgent-new', { priority: 5, enqueuedAt: t0 }), true);
    scheduler.conversationChanged(waiting('patient', { priority: 0, enqueuedAt: t0 - 60_000 }), true);
    scheduler.agentChanged(agent('a'));
    scheduler.pass();
    // 60 s at +1 per 10 s: 0 + 6 beats 5.
    expect(offers.map((o) => o.request.conversationId)).toEqual(['patient']);
  });

  describe('escalation and affinity', () => {
    const rings = { bullseye: { rings: [{ wait: '30s' }, { wait: '30s', dropSkills: ['billing'], minProficiency: 1 }], whenExhausted: 'anyone' }, skills: ['support', 'billing'], minProficiency: { support: 4 } };
    const generalist = () => agent('generalist', { skills: new Map([['support', 2]]) });

    it('relaxes skills and proficiency ring by ring, and takes anyone once the rings are exhausted', () => {
      for (const [ring, expected] of [[0, []], [1, ['generalist']], [2, ['generalist']]] as const) {
        const { scheduler, offers } = harness(rings);
        scheduler.agentChanged(generalist());
        scheduler.conversationChanged(waiting('c1', { ring }), true);
        scheduler.pass();
        expect(offers.map((o) => o.agentId), `ring ${ring}`).toEqual(expected);
      }
      const exhausted = harness(rings);
      exhausted.scheduler.agentChanged(agent('nobody-skilled', { skills: new Map() }));
      exhausted.scheduler.conversationChanged(waiting('c1', { ring: 2 }), true);
      exhausted.scheduler.pass();
      expect(exhausted.offers.map((o) => o.agentId)).toEqual(['nobody-skilled']);
    });

    const target = (reason: 'preferred' | 'last-agent' | 'transfer', agents: string[], until: string | null = new Date(t0 + 30_000).toISOString()) => ({ agents, until, reason });

    it('waits for the last agent while they are online, even when others are free, and bypasses queue rules on any-queue mode', () => {
      const { scheduler, offers } = harness({ skills: ['support'], members: { agents: ['other'] } });
      scheduler.agentChanged(agent('other'));
      scheduler.agentChanged(agent('last', { available: false, skills: new Map() }));
      scheduler.conversationChanged(waiting('c1', { target: target('last-agent', ['last']) }), true);
      scheduler.pass();
      expect(offers).toEqual([]);
      scheduler.agentChanged(agent('last', { skills: new Map() }));
      scheduler.pass();
      expect(offers.map((o) => o.agentId)).toEqual(['last']);
      expect(offers[0]?.request.reason).toMatchObject({ method: 'last-agent' });
    });

    it('stops waiting for agents who are all offline, and once the wait has expired', () => {
      for (const [online, until] of [[false, new Date(t0 + 30_000).toISOString()], [true, new Date(t0 - 1).toISOString()]] as const) {
        const { scheduler, offers } = harness();
        scheduler.agentChanged(agent('other'));
        scheduler.agentChanged(agent('last', { available: false, online }));
        scheduler.conversationChanged(waiting('c1', { target: target('last-agent', ['last'], until) }), true);
        scheduler.pass();
        expect(offers.map((o) => o.agentId)).toEqual(['other']);
      }
    });

    it('tries preferred agents in the order given, each still needing the skills', () => {
      const { scheduler, offers } = harness({ skills: ['support'] });
      scheduler.agentChanged(agent('first-choice', { skills: new Map() }));
      scheduler.agentChanged(agent('second-choice'));
      scheduler.agentChanged(agent('third-choice', { lastActivityAt: t0 - 90_000 }));
      scheduler.conversationChanged(waiting('c1', { target: target('preferred', ['first-choice', 'second-choice', 'third-choice']) }), true);
      scheduler.pass();
      expect(offers.map((o) => o.agentId)).toEqual(['second-choice']);
    });

    it('waits for the agent a conversation was transferred to, without a deadline', () => {
      const { scheduler, offers } = harness();
      scheduler.agentChanged(agent('other'));
      scheduler.agentChanged(agent('bruno', { offerable: { message: 0 } }));
      scheduler.conversationChanged(waiting('c1', { target: target('transfer', ['bruno'], null) }), true);
      scheduler.pass();
      expect(offers).toEqual([]);
    });
  });

  it('makes exactly the decisions of a scan of every agent, with its index', () => {
    // A small seeded generator: the same random team and queue every run.
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    const pickOne = <T,>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
    const skills = ['a', 'b', 'c', 'd', 'e', 'f'];
    const media = ['message', 'email'] as const;
    // Enough free agents that every conversation chooses (scarce agents choose instead: see below).
    const team = Array.from({ length: 150 }, (_, i) =>
      agent(`agent-${i}`, {
        available: random() > 0.2,
        skills: new Map(skills.filter(() => random() > 0.5).map((s) => [s, 1 + Math.floor(random() * 5)])),
        offerable: { message: Math.floor(random() * 3), email: Math.floor(random() * 2) },
        utilization: random(),
        lastActivityAt: t0 - Math.floor(random() * 100_000),
        lastAssignedAt: t0 - Math.floor(random() * 100_000),
      }),
    );
    const queue = pickOne(['longest-idle', 'best-skills', 'most-available', 'rotation']);
    const conversations = Array.from({ length: 200 }, (_, i) =>
      waiting(`c${i}`, { skills: skills.filter(() => random() > 0.75), mediaType: pickOne(media), priority: Math.floor(random() * 3), enqueuedAt: t0 - i }),
    );
    const run = (naive: boolean) => {
      const offers: string[] = [];
      const registry = new ConfigRegistry();
      registry.apply([QueueResource.parse({ apiVersion: 'parley.dev/v1alpha1', kind: 'Queue', metadata: { name: 'support', namespace: 'acme' }, spec: { method: queue, skills: [] } })]);
      const scheduler = new Scheduler({ offer: (_t, agentId, r) => offers.push(`${r.conversationId}->${agentId}`), queue: (t, n) => registry.queue(t, n), now: () => t0, naive });
      for (const a of team) scheduler.agentChanged(a);
      for (const c of conversations) scheduler.conversationChanged(c, true);
      scheduler.pass();
      return offers;
    };
    const indexed = run(false);
    expect(indexed.length).toBeGreaterThan(20);
    expect(indexed).toEqual(run(true));
  });

  it('frees the slot of an offer that was lost or whose conversation left before the agent answered', () => {
    const { scheduler, offers } = harness();
    scheduler.agentChanged(agent('a'));
    scheduler.conversationChanged(waiting('c1'), true);
    scheduler.conversationChanged(waiting('c2', { enqueuedAt: t0 + 1 }), true);
    scheduler.pass();
    expect(offers.map((o) => o.request.conversationId)).toEqual(['c1']);
    scheduler.offerLost('c1', offers[0]?.request.offerId as string);
    scheduler.pass();
    expect(offers.map((o) => o.request.conversationId)).toEqual(['c1', 'c1']);
    // The customer leaves while it rings: the slot goes to the next conversation.
    scheduler.conversationChanged(waiting('c1'), false);
    scheduler.pass();
    expect(offers.map((o) => `${o.request.conversationId}->${o.agentId}`)).toEqual(['c1->a', 'c1->a', 'c2->a']);
  });

  it('rebuilds a queue it leads again from the store, keeping offers in flight for conversations still waiting, and forgets queues it no longer leads', () => {
    const { scheduler, offers } = harness();
    scheduler.agentChanged(agent('a', { offerable: { message: 2 } }));
    scheduler.conversationChanged(waiting('c1'), true);
    scheduler.conversationChanged(waiting('c2', { enqueuedAt: t0 + 1 }), true);
    scheduler.conversationChanged(waiting('c3', { enqueuedAt: t0 + 2 }), true);
    scheduler.pass();
    expect(offers.map((o) => o.request.conversationId)).toEqual(['c1', 'c2']);
    // The store says: c1 still waits (its offer stays in flight), c2 is gone (its slot is free again), c4 arrived.
    scheduler.replaceQueue('acme', 'support', [waiting('c1'), waiting('c3', { enqueuedAt: t0 + 2 }), waiting('c4', { enqueuedAt: t0 + 3 })]);
    scheduler.pass();
    expect(offers.map((o) => o.request.conversationId)).toEqual(['c1', 'c2', 'c3']);
    // Another node leads the queue now: its conversations and the slots their offers held are forgotten.
    scheduler.dropQueues(() => false);
    scheduler.pass();
    expect(offers).toHaveLength(3);
    // Led again: everything waiting is decided afresh, with both slots free.
    scheduler.replaceQueue('acme', 'support', [waiting('c3', { enqueuedAt: t0 + 2 }), waiting('c4', { enqueuedAt: t0 + 3 })]);
    scheduler.pass();
    expect(offers.map((o) => o.request.conversationId)).toEqual(['c1', 'c2', 'c3', 'c3', 'c4']);
  });

  it.each([
    [20_000, 'slow-high'],
    [40_000, 'fast-low'],
  ])('serves queues that age at different rates by their urgency at the time of the pass (after %i ms: %s)', (elapsed, first) => {
    let now = t0;
    const registry = new ConfigRegistry();
    const queue = (name: string, aging: { every: string; step: number }) => QueueResource.parse({ apiVersion: 'parley.dev/v1alpha1', kind: 'Queue', metadata: { name, namespace: 'acme' }, spec: { aging } });
    registry.apply([queue('fast', { every: '10s', step: 1 }), queue('slow', { every: '60s', step: 0 })]);
    const offers: string[] = [];
    const scheduler = new Scheduler({ offer: (_t, _a, r) => offers.push(r.conversationId), queue: (t, n) => registry.queue(t, n), now: () => now });
    scheduler.agentChanged(agent('a', { offerable: { message: 0 } }));
    scheduler.conversationChanged(waiting('slow-high', { queue: 'slow', priority: 3, enqueuedAt: t0 }), true);
    scheduler.conversationChanged(waiting('fast-low', { queue: 'fast', priority: 0, enqueuedAt: t0 }), true);
    scheduler.pass();
    // fast-low gains 1 per 10 s: 2 after 20 s (below 3), 4 after 40 s (above 3). Nothing was re-sorted meanwhile.
    now = t0 + elapsed;
    scheduler.agentChanged(agent('a', { offerable: { message: 1 } }));
    scheduler.pass();
    expect(offers).toEqual([first]);
  });

  it('ages linearly: within a queue the order is fixed at arrival (priority × every / step − arrival)', () => {
    const { scheduler, offers } = harness({ aging: { every: '10s', step: 2 } });
    scheduler.agentChanged(agent('a', { offerable: { message: 0 } }));
    // Ranks: high 1 × 5 s − 0 = 5 s; patient 0 − (−6 s) = 6 s; tie-breaks on rank: equal ranks by arrival.
    scheduler.conversationChanged(waiting('high', { priority: 1, enqueuedAt: t0 }), true);
    scheduler.conversationChanged(waiting('patient', { priority: 0, enqueuedAt: t0 - 6_000 }), true);
    scheduler.conversationChanged(waiting('equal', { priority: 0, enqueuedAt: t0 - 5_000 }), true);
    scheduler.pass();
    scheduler.agentChanged(agent('a', { offerable: { message: 3 } }));
    scheduler.pass();
    expect(offers.map((o) => o.request.conversationId)).toEqual(['patient', 'equal', 'high']);
  });

  it('re-decides the conversations of a queue whose configuration changed, at the next pass', () => {
    const registry = new ConfigRegistry();
    const apply = (skills: string[]) => registry.apply([QueueResource.parse({ apiVersion: 'parley.dev/v1alpha1', kind: 'Queue', metadata: { name: 'support', namespace: 'acme' }, spec: { skills } })]);
    apply(['billing']);
    const offers: string[] = [];
    const scheduler = new Scheduler({ offer: (_t, agentId) => offers.push(agentId), queue: (t, n) => registry.queue(t, n), now: () => t0 });
    scheduler.agentChanged(agent('a'));
    scheduler.conversationChanged(waiting('c1', { skills: [] }), true);
    scheduler.pass();
    expect(offers).toEqual([]);
    // The registry holds the live configuration: no announcement needed.
    apply([]);
    scheduler.pass();
    expect(offers).toEqual(['a']);
  });

  it('gives an agent that frees a slot the most urgent conversation it can take, without a full pass', () => {
    let now = t0;
    const offers: { agentId: string; request: OfferRequest }[] = [];
    const scheduler = new Scheduler({ offer: (_t, agentId, request) => offers.push({ agentId, request }), now: () => now });
    const busy = agent('busy', { offerable: { message: 0 }, skills: new Map([['support', 3], ['billing', 3]]) });
    scheduler.agentChanged(busy);
    scheduler.conversationChanged(waiting('urgent-billing', { priority: 9, skills: ['support', 'billing'] }), true);
    scheduler.conversationChanged(waiting('urgent', { priority: 8 }), true);
    for (let i = 0; i < 8; i++) scheduler.conversationChanged(waiting(`later-${i}`, { priority: 1, enqueuedAt: t0 - i }), true);
    scheduler.pass();
    expect(offers).toEqual([]);
    now += 10;
    scheduler.agentChanged({ ...busy, offerable: { message: 1 } });
    scheduler.pass();
    expect(offers.map((o) => `${o.request.conversationId}->${o.agentId}`)).toEqual(['urgent-billing->busy']);
    expect(offers[0]?.request.reason).toMatchObject({ method: 'most-urgent' });
  });
});
