import { describe, expect, it } from 'vitest';
import type { OfferRequest } from '../agent/events.ts';
import { ConfigRegistry, QueueResource, RoutingMethods } from '../config/index.ts';
import type { MediaType } from '../contract/index.ts';
import { Scheduler } from './scheduler.ts';
import type { AgentView } from './agent-view.ts';
import type { WaitingConversation } from './waiting-conversation.ts';

const t0 = Date.parse('2026-11-22T10:00:00Z');
const SKILLS = ['a', 'b', 'c', 'd', 'e'];
const MEDIA: MediaType[] = ['message', 'email'];

/** A small seeded generator: the same scenario on every run. */
function generator(seed: number) {
  let state = seed;
  const next = () => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T,>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
  };
}

/** Queue specs that move on every configuration change: methods, skills, proficiency, members, aging, rings. */
function queueSpecs(rnd: ReturnType<typeof generator>) {
  return ['q0', 'q1', 'q2'].map((name) => {
    const spec: Record<string, unknown> = { method: rnd.pick(RoutingMethods), skills: rnd.next() < 0.5 ? [rnd.pick(SKILLS)] : [] };
    if (rnd.next() < 0.3) spec.minProficiency = { [rnd.pick(SKILLS)]: rnd.int(2, 4) };
    if (rnd.next() < 0.2) spec.members = rnd.next() < 0.5 ? { agents: ['agent-1', 'agent-2', 'agent-3', 'agent-5', 'agent-8'] } : { selector: { matchLabels: { team: 'red' } } };
    spec.aging = rnd.next() < 0.7 ? { every: `${rnd.int(1, 20)}s`, step: rnd.int(1, 3) } : { every: '60s', step: 0 };
    if (rnd.next() < 0.3) spec.bullseye = { rings: [{ wait: '30s' }, { wait: '30s', dropSkills: SKILLS.slice(0, 3), minProficiency: 1, addMembers: { agents: ['agent-0'] } }], whenExhausted: 'anyone' };
    return QueueResource.parse({ apiVersion: 'parley.dev/v1alpha1', kind: 'Queue', metadata: { name, namespace: 'acme' }, spec });
  });
}

/**
 * Runs one random life of a contact center through two schedulers — the indexed one and
 * the naive scan — and returns the offers of every pass of each. Agents accept, reject,
 * finish, change presence and skills; conversations arrive, leave, move rings and wait
 * for particular agents; the clock moves (aging reorders); the queues' configuration
 * changes; offers get lost. With `leadership`, queues also move away from the node and come
 * back, rebuilt from the conversations still waiting.
 */
function simulate(seed: number, steps: number, team = 30, leadership = false) {
  const rnd = generator(seed);
  let now = t0;
  const registry = new ConfigRegistry();
  registry.apply(queueSpecs(rnd));
  const agents = new Map<string, AgentView>();
  const conversations = new Map<string, WaitingConversation>();
  /** Offers in flight: conversation → agent, and each scheduler's offer id. */
  const flights = new Map<string, { agentId: string; media: MediaType; offerIds: [string, string] }>();
  /** Conversations each agent holds. */
  const held = new Map<string, MediaType[]>();

  const logs: [string[][], string[][]] = [[], []];
  const make = (naive: boolean, log: string[][]) => {
    const scheduler = new Scheduler({
      offer: (_tenant, agentId, request: OfferRequest) => {
        (log[log.length - 1] as string[]).push(`${request.conversationId}->${agentId}`);
        pending.push({ naive, agentId, request });
      },
      queue: (tenant, name) => registry.queue(tenant, name),
      now: () => now,
      naive,
    });
    return scheduler;
  };
  let pending: { naive: boolean; agentId: string; request: OfferRequest }[] = [];
  const schedulers = [make(false, logs[0]), make(true, logs[1])] as const;
  const both = (act: (s: Scheduler, which: 0 | 1) => void) => schedulers.forEach((s, i) => act(s, i as 0 | 1));

  const agentView = (i: number): AgentView => ({
    tenant: 'acme',
    id: `agent-${i}`,
    available: rnd.next() < 0.8,
    online: true,
    skills: new Map(SKILLS.filter(() => rnd.next() < 0.5).map((s) => [s, rnd.int(1, 5)])),
    languages: new Set(rnd.next() < 0.8 ? ['en'] : ['fr']),
    labels: rnd.next() < 0.3 ? { team: 'red' } : {},
    offerable: { message: rnd.int(0, 2), email: rnd.int(0, 1) },
    utilization: rnd.int(0, 4) / 4,
    lastActivityAt: now - rnd.int(0, 100) * 1_000,
    lastAssignedAt: now - rnd.int(0, 100) * 1_000,
  });
  const update = (id: string, change: Partial<AgentView>, answered?: [string, string]) => {
    const view = { ...(agents.get(id) as AgentView), ...change };
    agents.set(id, view);
    both((s, i) => s.agentChanged(view, answered?.[i]));
  };
  const room = (id: string, media: MediaType, by: number) => {
    const view = agents.get(id) as AgentView;
    const used = (held.get(id) ?? []).length;
    return { offerable: { ...view.offerable, [media]: Math.max(0, (view.offerable[media] ?? 0) + by) }, utilization: Math.min(1, (used + Math.max(0, -by)) / 4) };
  };

  for (let i = 0; i < team; i++) {
    const view = agentView(i);
    agents.set(view.id, view);
    both((s) => s.agentChanged(view));
  }
  let nextConversation = 0;
  const arrive = () => {
    const id = `c${nextConversation++}`;
    const r = rnd.next();
    const target =
      r < 0.15
        ? { agents: rnd.next() < 0.5 ? [`agent-${rnd.int(0, 5)}`] : [`agent-${rnd.int(0, 5)}`, `agent-${rnd.int(0, 29)}`], until: new Date(now + rnd.int(1, 120) * 1_000).toISOString(), reason: rnd.pick(['preferred', 'last-agent'] as const) }
        : r < 0.18
          ? { agents: [`agent-${rnd.int(0, 29)}`], until: null, reason: 'transfer' as const }
          : null;
    const c: WaitingConversation = {
      id,
      tenant: 'acme',
      queue: rnd.pick(['q0', 'q1', 'q2']),
      skills: SKILLS.filter(() => rnd.next() < 0.2),
      language: rnd.next() < 0.2 ? rnd.pick(['en', 'fr']) : null,
      mediaType: rnd.pick(MEDIA),
      priority: rnd.int(0, 3),
      enqueuedAt: now - rnd.int(0, 60) * 1_000 - rnd.int(0, 999),
      declinedBy: [],
      channel: 'web',
      channelType: 'web',
      customerId: `customer-${id}`,
      customerName: undefined,
      alertingTimeoutMs: 30_000,
      ring: 0,
      target,
    };
    conversations.set(id, c);
    both((s) => s.conversationChanged(c, true));
  };
  for (let i = 0; i < 20; i++) arrive();

  for (let step = 0; step < steps; step++) {
    const waitingIds = [...conversations.keys()];
    const flying = [...flights.keys()];
    const r = rnd.next();
    if (r < 0.2) arrive();
    else if (r < 0.35 && flying.length > 0) {
      // The agent accepts: it takes the slot, then the conversation leaves the queue.
      const cid = rnd.pick(flying);
      const flight = flights.get(cid) as NonNullable<ReturnType<typeof flights.get>>;
      flights.delete(cid);
      held.set(flight.agentId, [...(held.get(flight.agentId) ?? []), flight.media]);
      update(flight.agentId, { ...room(flight.agentId, flight.media, -1), lastAssignedAt: now }, flight.offerIds);
      const c = conversations.get(cid) as WaitingConversation;
      conversations.delete(cid);
      both((s, i) => s.conversationChanged(c, false, flight.offerIds[i]));
    } else if (r < 0.45 && flying.length > 0) {
      // The agent rejects (or lets it ring out): the conversation waits again, remembering who let it go.
      const cid = rnd.pick(flying);
      const flight = flights.get(cid) as NonNullable<ReturnType<typeof flights.get>>;
      flights.delete(cid);
      update(flight.agentId, {}, flight.offerIds);
      const c = { ...(conversations.get(cid) as WaitingConversation), declinedBy: [...(conversations.get(cid) as WaitingConversation).declinedBy, flight.agentId] };
      conversations.set(cid, c);
      both((s, i) => s.conversationChanged(c, true, flight.offerIds[i]));
    } else if (r < 0.5 && flying.length > 0) {
      const cid = rnd.pick(flying);
      const flight = flights.get(cid) as NonNullable<ReturnType<typeof flights.get>>;
      flights.delete(cid);
      both((s, i) => s.offerLost(cid, flight.offerIds[i]));
    } else if (r < 0.62) {
      // An agent finishes a conversation: one more free slot, idle from now.
      const busy = [...held.entries()].filter(([, list]) => list.length > 0);
      if (busy.length === 0) continue;
      const [id, list] = rnd.pick(busy);
      const media = list.shift() as MediaType;
      update(id, { ...room(id, media, +1), lastActivityAt: now });
    } else if (r < 0.7) {
      // Agents 0-5 are often asked for by name: their presence decides those waits.
      const id = `agent-${rnd.next() < 0.5 ? rnd.int(0, 5) : rnd.int(0, team - 1)}`;
      const available = rnd.next() < 0.6;
      update(id, { available, online: available || rnd.next() < 0.3, lastActivityAt: available ? now : (agents.get(id) as AgentView).lastActivityAt });
    } else if (r < 0.72) {
      // A shift changes: the whole team goes, or comes back, at once (more than the scheduler compares one by one).
      const available = rnd.next() < 0.5;
      for (let i = 0; i < team; i++) update(`agent-${i}`, { available, online: available || rnd.next() < 0.5, lastActivityAt: now });
    } else if (r < 0.74) {
      update(`agent-${rnd.int(0, team - 1)}`, { skills: new Map(SKILLS.filter(() => rnd.next() < 0.5).map((s) => [s, rnd.int(1, 5)])) });
    } else if (r < 0.8 && waitingIds.length > 0) {
      const cid = rnd.pick(waitingIds);
      const c = conversations.get(cid) as WaitingConversation;
      if (rnd.next() < 0.5) {
        conversations.delete(cid);
        flights.delete(cid);
        both((s) => s.conversationChanged(c, false));
      } else {
        // A ring passes, or a customer message that changes nothing for routing.
        const next = rnd.next() < 0.6 ? { ...c, ring: c.ring + 1 } : { ...c };
        conversations.set(cid, next);
        both((s) => s.conversationChanged(next, true));
      }
    } else if (r < 0.84) {
      registry.apply(queueSpecs(rnd));
      both((s) => s.invalidate());
    } else if (leadership && rnd.next() < 0.25) {
      // Another node led a queue for a while: this one forgets it, then rebuilds it from the store.
      const queue = rnd.pick(['q0', 'q1', 'q2']);
      both((s) => s.dropQueues((_tenant, name) => name !== queue));
      if (rnd.next() < 0.5) {
        logs.forEach((log) => log.push([]));
        both((s) => s.pass());
      }
      const stored = [...conversations.values()].filter((c) => c.queue === queue);
      both((s) => s.replaceQueue('acme', queue, stored));
    } else {
      now += rnd.int(0, 15_000);
    }
    logs.forEach((log) => log.push([]));
    pending = [];
    both((s) => s.pass());
    // Both made the same offers (checked by the caller); the world answers the indexed ones.
    const indexed = pending.filter((p) => !p.naive);
    const naive = pending.filter((p) => p.naive);
    indexed.forEach((p, k) => {
      const other = naive[k];
      if (other?.request.conversationId !== p.request.conversationId) return;
      flights.set(p.request.conversationId, { agentId: p.agentId, media: p.request.mediaType, offerIds: [p.request.offerId, other.request.offerId] });
    });
  }
  return { indexed: logs[0], naive: logs[1] };
}

describe('Scheduler against the naive scan', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('makes the offers of a scan of everything, pass after pass (seed %i)', (seed) => {
    const { indexed, naive } = simulate(seed, 400);
    expect(indexed.flat().length).toBeGreaterThan(40);
    indexed.forEach((offers, pass) => expect(offers, `pass ${pass}`).toEqual(naive[pass]));
  });

  it.each([21, 22, 23])('does so too when queues move to another node and back (seed %i)', (seed) => {
    const { indexed, naive } = simulate(seed, 400, 30, true);
    expect(indexed.flat().length).toBeGreaterThan(40);
    indexed.forEach((offers, pass) => expect(offers, `pass ${pass}`).toEqual(naive[pass]));
  });

  it.each([11, 12, 13])('does so too when many agents gain room at once (seed %i)', (seed) => {
    const { indexed, naive } = simulate(seed, 300, 90);
    expect(indexed.flat().length).toBeGreaterThan(100);
    indexed.forEach((offers, pass) => expect(offers, `pass ${pass}`).toEqual(naive[pass]));
  });
});
