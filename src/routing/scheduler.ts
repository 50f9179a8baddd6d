import { randomUUID } from 'node:crypto';
import type { OfferRequest } from '../agent/events.ts';
import type { QueueConfig, RoutingMethod } from '../config/index.ts';
import type { AgentView } from './agent-view.ts';
import { AgentIndex } from './agent-index.ts';
import { qualifies } from './eligibility.ts';
import { beats, score } from './methods.ts';
import { requirementsOf, type Requirements } from './requirements.ts';
import type { WaitingConversation } from './waiting-conversation.ts';
import { MediaTypes as MediaKinds } from '../contract/index.ts';

/** An offer the scheduler sent, until the conversation commits its outcome. */
interface InFlight {
  offerId: string;
  agentKey: string;
  mediaType: WaitingConversation['mediaType'];
  /** The agent has committed its answer: from then on its own capacity figures count it. */
  answeredByAgent: boolean;
}

export interface SchedulerOptions {
  /** Sends an offer request to the agent actor (the agent reserves capacity or declines). */
  offer(tenant: string, agentId: string, request: OfferRequest): void;
  /** The live configuration of a queue (method, members, minimum proficiency, aging…). */
  queue?(tenant: string, name: string): QueueConfig | undefined;
  /** Called after each pass with the waiting count per tenant/queue (for metrics). */
  waiting?(tenant: string, queue: string, count: number): void;
  now?: () => number;
  /**
   * Scan every agent for every conversation instead of using the index: the baseline the
   * routing benchmark measures against. @default false
   */
  naive?: boolean;
}

const agentKey = (tenant: string, id: string) => `${tenant}/${id}`;
const slotKey = (agent: string, media: string) => `${agent}|${media}`;
/** Aging moves the waiting order with time: it is recomputed at least this often. */
const REORDER_EVERY_MS = 1_000;
/** A full pass over everything runs at least this often, as a safety net for incremental passes. */
const FULL_PASS_EVERY_MS = 5_000;

/**
 * Matches waiting conversations to agents. An agent is eligible when it is available, a
 * member of the queue, has every required skill at the queue's minimum proficiency,
 * speaks the conversation's language and can be offered the media type. Conversations go
 * by priority (aged by time waited), then by time waited, and each gets the eligible
 * agent its queue's method prefers. Passes are incremental: a conversation that changed
 * looks for an agent; an agent that gained room (freed a slot, became available) takes
 * the most urgent conversation it is eligible for — longest idle first when several do.
 * Unchanged pairs were already found not to match; a full pass still runs every few
 * seconds and after configuration changes.
 *
 * The scheduler only proposes: the agent actor reserves or declines, and the
 * conversation actor accepts one reservation. Its state is a cache of the actors'
 * committed state, rebuilt from the store on start, so losing it loses nothing.
 */
export class Scheduler {
  private readonly waiting = new Map<string, WaitingConversation>();
  private readonly agents = new AgentIndex();
  /** Offers sent, by conversation id; and the conversation of each offer id. */
  private readonly inFlight = new Map<string, InFlight>();
  private readonly conversationOfOffer = new Map<string, string>();
  private passQueued = false;
  private readonly queuesSeen = new Set<string>();
  private readonly now: () => number;
  /** The waiting list in serving order, kept until the list changes or aging may reorder it. */
  private order: WaitingConversation[] = [];
  private orderedAt = -Infinity;
  private orderDirty = true;
  /**
   * What changed since the last pass: conversations that may now find an agent, and
   * agents (with the media types) that may now take a conversation they could not.
   * Unchanged pairs were already found not to match.
   */
  private readonly changedConversations = new Set<string>();
  private readonly improvedAgents = new Map<string, { agent: AgentView; media: Set<WaitingConversation['mediaType']> }>();
  private lastFullPass = -Infinity;
  private requirementsCache = new WeakMap<WaitingConversation, Requirements>();

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A conversation's committed state. `offerId` is set when the event that changed it answered one of our offers. */
  conversationChanged(conversation: WaitingConversation, waiting: boolean, answeredOfferId?: string): void {
    const flight = this.inFlight.get(conversation.id);
    if (flight && (!waiting || flight.offerId === answeredOfferId)) this.land(conversation.id, flight.offerId);
    if (waiting) {
      if (!this.waiting.has(conversation.id)) this.orderDirty = true;
      this.waiting.set(conversation.id, conversation);
      this.changedConversations.add(conversation.id);
    } else this.waiting.delete(conversation.id);
    this.schedulePass();
  }

  /** An agent's committed state. `answeredOfferId` is set when the event was one of our offer requests. */
  agentChanged(agent: AgentView, answeredOfferId?: string): void {
    const before = this.agents.get(agent.tenant, agent.id);
    this.agents.set(agent);
    const improved = improvedMedia(before, agent);
    const key = agentKey(agent.tenant, agent.id);
    if (improved.length > 0) {
      const media = this.improvedAgents.get(key)?.media ?? new Set();
      for (const m of improved) media.add(m);
      this.improvedAgents.set(key, { agent, media });
    } else if (this.improvedAgents.has(key)) {
      // Keep what it gained earlier in this round, with its latest state.
      this.improvedAgents.set(key, { agent, media: (this.improvedAgents.get(key) as { media: Set<WaitingConversation['mediaType']> }).media });
    }
    // The conversation stays out of the waiting list until it commits the outcome itself.
    const conversationId = answeredOfferId && this.conversationOfOffer.get(answeredOfferId);
    const flight = conversationId ? this.inFlight.get(conversationId) : undefined;
    if (flight) flight.answeredByAgent = true;
    this.schedulePass();
  }

  /**
   * This node leads the queue (again): its waiting list is exactly these conversations,
   * read from the store. Offers in flight for conversations still waiting are kept.
   */
  replaceQueue(tenant: string, queue: string, conversations: readonly WaitingConversation[]): void {
    const keep = new Set(conversations.map((c) => c.id));
    for (const c of [...this.waiting.values()]) {
      if (c.tenant === tenant && c.queue === queue && !keep.has(c.id)) this.conversationChanged(c, false);
    }
    for (const c of conversations) this.conversationChanged(c, true);
  }

  /** This node no longer leads these queues: forget their conversations and offers (their new leader rebuilds them). */
  dropQueues(led: (tenant: string, queue: string) => boolean): void {
    for (const c of [...this.waiting.values()]) {
      if (led(c.tenant, c.queue)) continue;
      this.waiting.delete(c.id);
      this.changedConversations.delete(c.id);
      const flight = this.inFlight.get(c.id);
      if (flight) this.land(c.id, flight.offerId);
    }
    this.orderDirty = true;
    this.schedulePass();
  }

  /** An offer request never reached the agent (no such agent, store error): the conversation may be offered again. */
  offerLost(conversationId: string, offerId: string): void {
    if (this.inFlight.get(conversationId)?.offerId === offerId) this.land(conversationId, offerId);
    this.changedConversations.add(conversationId);
    this.schedulePass();
  }

  private land(conversationId: string, offerId: string): void {
    this.inFlight.delete(conversationId);
    this.conversationOfOffer.delete(offerId);
  }

  /** Coalesces bursts of changes into one matching pass. */
  private schedulePass(): void {
    if (this.passQueued) return;
    this.passQueued = true;
    setImmediate(() => {
      this.passQueued = false;
      this.pass();
    });
  }

  /** The configuration changed (members, skills, methods…): the next pass looks at everything. */
  invalidate(): void {
    this.lastFullPass = -Infinity;
    this.schedulePass();
  }

  /**
   * One matching pass: over everything when due (start, configuration change, every few
   * seconds), otherwise only over what changed since the last pass.
   */
  pass(): void {
    const now = this.now();
    if (this.options.naive || now - this.lastFullPass >= FULL_PASS_EVERY_MS) this.fullPass(now);
    else this.incrementalPass(now);
    this.changedConversations.clear();
    this.improvedAgents.clear();
  }

  /** Slots held by offers the agents have not answered yet, per agent and media type. */
  private reservations(): { reserved: Map<string, number>; hold: (k: string) => Map<string, number> } {
    const reserved = new Map<string, number>();
    const hold = (k: string) => reserved.set(k, (reserved.get(k) ?? 0) + 1);
    for (const flight of this.inFlight.values()) if (!flight.answeredByAgent) hold(slotKey(flight.agentKey, flight.mediaType));
    return { reserved, hold };
  }

  /** Changed conversations choose among agents; agents that gained room take the most urgent conversation they can. */
  private incrementalPass(now: number): void {
    const { reserved, hold } = this.reservations();
    const order = this.ordered(now);
    const changed = this.sortByUrgency([...this.changedConversations].flatMap((id) => this.waiting.get(id) ?? []), now);
    this.conversationsChoose(changed, reserved, hold, now);
    if (this.improvedAgents.size > 0) this.agentsTake(order, reserved, hold, now);
    this.reportWaiting();
  }

  private fullPass(now: number): void {
    this.lastFullPass = now;
    this.requirementsCache = new WeakMap();
    const { reserved, hold } = this.reservations();
    this.conversationsChoose(this.ordered(now), reserved, hold, now);
    this.reportWaiting();
  }

  /** Each conversation, most urgent first, gets the agent its queue's method prefers. */
  private conversationsChoose(order: readonly WaitingConversation[], reserved: Map<string, number>, hold: (k: string) => Map<string, number>, now: number): void {
    for (const listed of order) {
      const conversation = this.waiting.get(listed.id);
      if (!conversation || this.inFlight.has(conversation.id)) continue;
      // Nobody can take this media type now: nothing to decide (the common case under load).
      if (!this.options.naive && this.agents.offerableFor(conversation.tenant, conversation.mediaType).size === 0) continue;
      const requirements = this.requirements(conversation, now);
      // Waiting for particular agents: the first of them who can take it (preference order).
      const method = requirements.target ? requirements.target.reason : (this.options.queue?.(conversation.tenant, conversation.queue)?.method ?? 'longest-idle');
      const { agent, candidates, best } = this.pick(conversation, requirements, method, reserved, now);
      if (agent) this.offer(conversation, agent, { method, candidates, score: best }, hold, now);
    }
  }

  /**
   * Agents that gained room, longest idle first, each take the most urgent conversations
   * they are eligible for — only of the media types they gained room for.
   */
  private agentsTake(order: readonly WaitingConversation[], reserved: Map<string, number>, hold: (k: string) => Map<string, number>, now: number): void {
    const free = (agent: AgentView, media: WaitingConversation['mediaType']) =>
      (agent.offerable[media] ?? 0) - (reserved.get(slotKey(agentKey(agent.tenant, agent.id), media)) ?? 0);
    const improved = [...this.improvedAgents.values()].sort((a, b) => a.agent.lastActivityAt - b.agent.lastActivityAt || (a.agent.id < b.agent.id ? -1 : 1));
    for (const { agent, media } of improved) {
      const hasRoom = () => [...media].some((m) => free(agent, m) > 0);
      if (!hasRoom()) continue;
      for (const listed of order) {
        const conversation = this.waiting.get(listed.id);
        if (!conversation || this.inFlight.has(conversation.id) || conversation.tenant !== agent.tenant) continue;
        // An agent who let this conversation go leaves it to others (a full pass falls back to it).
        if (!media.has(conversation.mediaType) || free(agent, conversation.mediaType) <= 0 || conversation.declinedBy.includes(agent.id)) continue;
        const requirements = this.requirements(conversation, now);
        if (!qualifies(agent, conversation.tenant, requirements)) continue;
        const method = requirements.target ? requirements.target.reason : 'most-urgent';
        this.offer(conversation, agent, { method, candidates: 1, score: undefined }, hold, now);
        if (!hasRoom()) break;
      }
    }
  }

  /**
   * What an agent needs to take this conversation now. Cached per conversation state (a
   * changed conversation is a new object) until the next full pass, except while it
   * waits for particular agents, which depends on the clock and their presence.
   */
  private requirements(conversation: WaitingConversation, now: number): Requirements {
    const cached = conversation.target ? undefined : this.requirementsCache.get(conversation);
    if (cached) return cached;
    const queue = this.options.queue?.(conversation.tenant, conversation.queue);
    const requirements = requirementsOf(conversation, queue, now, (id) => this.agents.get(conversation.tenant, id)?.online ?? false);
    if (!conversation.target) this.requirementsCache.set(conversation, requirements);
    return requirements;
  }

  private offer(
    conversation: WaitingConversation,
    agent: AgentView,
    reason: { method: string; candidates: number; score: number | undefined },
    hold: (k: string) => Map<string, number>,
    now: number,
  ): void {
    const key = agentKey(agent.tenant, agent.id);
    const offerId = randomUUID();
    this.inFlight.set(conversation.id, { offerId, agentKey: key, mediaType: conversation.mediaType, answeredByAgent: false });
    this.conversationOfOffer.set(offerId, conversation.id);
    const held = hold(slotKey(key, conversation.mediaType)).get(slotKey(key, conversation.mediaType)) ?? 0;
    // Full for this pass: later conversations need not look at it (the candidate sets shrink as agents fill).
    if (held >= (agent.offerable[conversation.mediaType] ?? 0)) this.agents.exhaust(agent, conversation.mediaType);
    this.options.offer(agent.tenant, agent.id, {
      type: 'offer.request',
      at: new Date(now).toISOString(),
      offerId,
      conversationId: conversation.id,
      mediaType: conversation.mediaType,
      queue: conversation.queue,
      channel: conversation.channel,
      channelType: conversation.channelType,
      customerId: conversation.customerId,
      customerName: conversation.customerName,
      timeoutMs: conversation.alertingTimeoutMs,
      reason,
    });
  }

  /** Waiting counts per queue; every queue seen so far is reported, so one that just emptied reads 0. */
  private reportWaiting(): void {
    if (!this.options.waiting) return;
    const counts = new Map<string, number>();
    for (const c of this.waiting.values()) {
      const k = `${c.tenant}/${c.queue}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    for (const k of counts.keys()) this.queuesSeen.add(k);
    for (const k of this.queuesSeen) {
      const [tenant = '', queue = ''] = k.split('/');
      this.options.waiting?.(tenant, queue, counts.get(k) ?? 0);
    }
  }

  /**
   * Waiting conversations by aged priority, then time waited; re-sorted when some joined
   * or a second has passed (aging). Entries that left since are skipped by the readers.
   */
  private ordered(now: number): readonly WaitingConversation[] {
    if (this.orderDirty || now - this.orderedAt >= REORDER_EVERY_MS) {
      this.order = this.sortByUrgency([...this.waiting.values()], now);
      this.orderedAt = now;
      this.orderDirty = false;
    }
    return this.order;
  }

  private sortByUrgency(conversations: WaitingConversation[], now: number): WaitingConversation[] {
    const urgency = (c: WaitingConversation) => {
      const aging = this.options.queue?.(c.tenant, c.queue)?.aging;
      return c.priority + (aging && aging.step > 0 ? aging.step * Math.floor((now - c.enqueuedAt) / aging.everyMs) : 0);
    };
    return conversations
      .map((c) => ({ c, urgency: urgency(c) }))
      .sort((a, b) => b.urgency - a.urgency || a.c.enqueuedAt - b.c.enqueuedAt || (a.c.id < b.c.id ? -1 : 1))
      .map((x) => x.c);
  }

  /**
   * The best eligible agent by the queue's method (if any), how many were eligible, and
   * the winning score. Agents who already let this conversation go (rejected, timed out)
   * come last: it goes back to them only when nobody else can take it.
   */
  private pick(
    conversation: WaitingConversation,
    requirements: Requirements,
    method: RoutingMethod | Exclude<Requirements['target'], null>['reason'],
    reserved: Map<string, number>,
    now: number,
  ): { agent: AgentView | undefined; candidates: number; best: number | undefined } {
    const pool: Iterable<AgentView> = requirements.target
      ? requirements.target.agents.flatMap((id) => this.agents.get(conversation.tenant, id) ?? [])
      : this.options.naive
        ? this.agents.all()
        : this.agents.candidates(conversation.tenant, conversation.mediaType, requirements.skills);
    let best: { agent: AgentView; score: number; declined: boolean } | undefined;
    let candidates = 0;
    for (const agent of pool) {
      // Room first: it is the cheaper test, and within one pass agents fill up.
      const free = (agent.offerable[conversation.mediaType] ?? 0) - (reserved.get(slotKey(agentKey(agent.tenant, agent.id), conversation.mediaType)) ?? 0);
      if (free <= 0 || !qualifies(agent, conversation.tenant, requirements)) continue;
      candidates++;
      const rank = requirements.target ? -requirements.target.agents.indexOf(agent.id) : score(method as RoutingMethod, agent, requirements.skills, now);
      const candidate = { agent, score: rank, declined: conversation.declinedBy.includes(agent.id) };
      if (!best || (best.declined && !candidate.declined) || (best.declined === candidate.declined && beats(candidate, best))) best = candidate;
    }
    return { agent: best?.agent, candidates, best: best?.score };
  }

}

/**
 * The media types for which an agent may now take conversations it could not before:
 * all of them when it became available or its skills, languages or labels changed; those
 * with more room otherwise. Less room never creates a match.
 */
function improvedMedia(before: AgentView | undefined, after: AgentView): WaitingConversation['mediaType'][] {
  if (!after.available) return [];
  const all = MediaKinds.filter((m) => (after.offerable[m] ?? 0) > 0);
  if (!before || !before.available || !sameProfile(before, after)) return all;
  return all.filter((m) => (after.offerable[m] ?? 0) > (before.offerable[m] ?? 0));
}

function sameProfile(a: AgentView, b: AgentView): boolean {
  if (a.skills.size !== b.skills.size || a.languages.size !== b.languages.size) return false;
  for (const [skill, level] of a.skills) if (b.skills.get(skill) !== level) return false;
  for (const language of a.languages) if (!b.languages.has(language)) return false;
  const labels = Object.keys(a.labels);
  return labels.length === Object.keys(b.labels).length && labels.every((k) => a.labels[k] === b.labels[k]);
}
