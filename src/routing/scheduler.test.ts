import { describe, expect, it } from 'vitest';
import type { OfferRequest } from '../agent/events.ts';
import { Scheduler } from './scheduler.ts';
import type { AgentView } from './agent-view.ts';
import type { WaitingConversation } from './waiting-conversation.ts';

const t0 = Date.parse('2026-11-22T10:00:00Z');

function agent(id: string, over: Partial<AgentView> = {}): AgentView {
  return { tenant: 'acme', id, available: true, skills: new Set(['support']), free: { message: 1 }, lastActivityAt: t0, ...over };
}

function waiting(id: string, over: Partial<WaitingConversation> = {}): WaitingConversation {
  return {
    id,
    tenant: 'acme',
    queue: 'support',
    skills: ['support'],
    mediaType: 'message',
    priority: 0,
    enqueuedAt: t0,
    declinedBy: [],
    channel: 'whatsapp',
    channelType: 'whatsapp',
    customerId: `customer-${id}`,
    customerName: undefined,
    alertingTimeoutMs: 30_000,
    ...over,
  };
}

/** A scheduler whose offers are recorded; `pass()` runs synchronously. */
function harness() {
  const offers: { agentId: string; request: OfferRequest }[] = [];
  const scheduler = new Scheduler({ offer: (_tenant, agentId, request) => offers.push({ agentId, request }), now: () => t0 });
  return { scheduler, offers };
}

describe('Scheduler', () => {
  it('offers to an agent with every required skill, never to one missing a skill', () => {
    const { scheduler, offers } = harness();
    scheduler.agentChanged(agent('idle-longest-but-unskilled', { lastActivityAt: t0 - 60_000 }));
    scheduler.agentChanged(agent('skilled', { skills: new Set(['support', 'billing']) }));
    scheduler.conversationChanged(waiting('c1', { skills: ['support', 'billing'] }), true);
    scheduler.pass();
    expect(offers.map((o) => o.agentId)).toEqual(['skilled']);
  });

  it('picks the agent idle longest among eligible ones, skipping the unavailable and the full', () => {
    const { scheduler, offers } = harness();
    scheduler.agentChanged(agent('away', { available: false, lastActivityAt: t0 - 90_000 }));
    scheduler.agentChanged(agent('full', { free: { message: 0 }, lastActivityAt: t0 - 80_000 }));
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
    scheduler.agentChanged(agent('a', { free: { message: 3 } }));
    scheduler.pass();
    expect(offers.map((o) => o.request.conversationId)).toEqual(['late-high', 'early-low', 'late-low']);
  });

  it('never offers more than the free capacity while offers are unanswered', () => {
    const { scheduler, offers } = harness();
    scheduler.agentChanged(agent('a', { free: { message: 2 } }));
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
    scheduler.agentChanged(agent('a', { free: { message: 5 } }));
    scheduler.conversationChanged(waiting('c1'), true);
    scheduler.pass();
    const first = offers[0]?.request.offerId as string;
    // An unrelated change of the conversation (a new customer message) keeps the offer in flight.
    scheduler.conversationChanged(waiting('c1'), true);
    scheduler.pass();
    expect(offers).toHaveLength(1);
    // The agent declined and the conversation committed that decline: offer again.
    scheduler.agentChanged(agent('a', { free: { message: 5 } }), first);
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
});
