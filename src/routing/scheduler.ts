import { randomUUID } from 'node:crypto';
import type { OfferRequest } from '../agent/index.ts';
import type { QueueConfig } from '../config/index.ts';
import type { MediaType } from '../contract/index.ts';
import type { AgentView } from './agent-view.ts';
import { AgentIndex, agentKey, type AgentRecord } from './agent-index.ts';
import { chooseAgent, choosePool } from './agent-choice.ts';
import { naiveScan } from './naive-scan.ts';
import { requirementsOf, type Requirements } from './requirements.ts';
import { SortedList } from './sorted-list.ts';
import { servingOrder, urgencyOf, type Urgent } from './urgency.ts';
import { TargetWaits } from './target-waits.ts';
import { WaitingList, type Bucket } from './waiting-list.ts';
import type { WaitingConversation } from './waiting-conversation.ts';
import { tenantQueue } from './pair-key.ts';

/** An offer the scheduler sent, until the conversation commits its outcome. */
interface InFlight {
  offerId: string;
  agent: AgentRecord;
  mediaType: MediaType;
  /** The agent has committed its answer: from then on its own capacity figures count it. */
  answeredByAgent: boolean;
}

export interface SchedulerOptions {
  /** Sends an offer request to the agent actor (the agent reserves capacity or declines). */
  offer(tenant: string, agentId: string, request: OfferRequest): void;
  /** The live configuration of a queue (method, members, minimum proficiency, aging…), read at every pass: a changed object is compared, a changed content re-decides the queue. */
  queue?(tenant: string, name: string): QueueConfig | undefined;
  /** Called after each pass with the waiting count per tenant/queue (for metrics). */
  waiting?(tenant: string, queue: string, count: number): void;
  now?: () => number;
  /**
   * Let every waiting conversation compare every agent on every pass instead of using the
   * indexes: the baseline the routing benchmark measures against, and the reference the
   * equivalence tests hold the indexed scheduler to. @default false
   */
  naive?: boolean;
}

/** Up to this many agents that gained room are compared directly; beyond, the indexes choose. */
const POOL_LIMIT = 64;

/** A conversation the pass may serve: one that changed, one waiting for an agent that gained room, or the head of a bucket such an agent qualifies for. */
interface Entry extends Urgent {
  conversation: WaitingConversation;
  bucket: Bucket | undefined;
  changed: boolean;
  seq: number;
}

const entryOrder = (a: Entry, b: Entry) => servingOrder(a, b) || a.seq - b.seq;

/**
 * Matches waiting conversations to agents. An agent is eligible when it is available, a
 * member of the queue, has every required skill at the queue's minimum proficiency,
 * speaks the conversation's language and can be offered the media type. Conversations go
 * by priority (aged by time waited), then by time waited, and each gets the eligible
 * agent its queue's method prefers.
 *
 * Every pass makes exactly the offers of a scan of everything (`naive`), without the
 * scan. After a pass no waiting conversation has an eligible agent with a free slot, so
 * the next pass only serves conversations that changed and conversations an agent that
 * gained room qualifies for — merged in serving order, each choosing among every agent
 * (a changed one, through the agent indexes) or among those that gained room (the others
 * were already found not to qualify). Nothing is rescanned on a timer; a configuration
 * change re-decides the conversations of the queues whose configuration changed.
 *
 * The scheduler only proposes: the agent actor reserves or declines, and the
 * conversation actor accepts one reservation. Its state is a cache of the actors'
 * committed state, rebuilt from the store on start, so losing it loses nothing.
 */
export class Scheduler {
  private readonly waiting = new Map<string, WaitingConversation>();
  private readonly byQueue = new Map<string, Set<string>>();
  private readonly agents = new AgentIndex();
  private readonly ready: WaitingList;
  /** Ready conversations waiting for particular agents (not in a bucket: only those agents may take them). */
  private readonly awaitingAgents = new Set<string>();
  private readonly targets = new TargetWaits();
  private readonly inFlight = new Map<string, InFlight>();
  private readonly conversationOfOffer = new Map<string, string>();
  /** Ready conversations whose requirements, order or offers changed since the last pass. */
  private readonly changed = new Set<string>();
  /** Each queue's configuration as last read (the registry replaces a queue's object when it changes). */
  private readonly queues = new Map<string, { tenant: string; name: string; config: QueueConfig | undefined; fingerprint: string }>();
  private passQueued = false;
  private readonly queuesSeen = new Set<string>();
  private readonly now: () => number;
  /** The time of the last offer, formatted once per pass rather than per offer. */
  private stamp = { at: NaN, iso: '' };

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? Date.now;
    this.ready = new WaitingList(
      (c) => requirementsOf({ ...c, target: null }, this.queueConfig(c.tenant, c.queue), 0, () => false),
      (tenant, queue) => this.queueConfig(tenant, queue)?.aging,
    );
  }

  /** A conversation's committed state. `offerId` is set when the event that changed it answered one of our offers. */
  conversationChanged(conversation: WaitingConversation, waiting: boolean, answeredOfferId?: string): void {
    const { id } = conversation;
    const previous = this.waiting.get(id);
    // Where it was waiting, if it had been decided already (not changed since, no offer in flight).
    const placed = previous && !this.inFlight.has(id) && !this.changed.has(id) ? (this.awaitingAgents.has(id) ? 'awaiting' : 'bucket') : undefined;
    const flight = this.inFlight.get(id);
    if (flight && (!waiting || flight.offerId === answeredOfferId)) this.land(id, flight);
    if (previous) this.forget(previous);
    if (!waiting) this.changed.delete(id);
    else {
      this.keep(conversation);
      // Nothing that routing reads changed (a new customer message): it keeps its place, decided.
      if (placed && previous && sameRouting(previous, conversation)) {
        if (placed === 'awaiting') this.awaitingAgents.add(id);
        else this.ready.add(conversation);
      } else if (!this.inFlight.has(id)) this.changed.add(id);
    }
    this.schedulePass();
  }

  /** An agent's committed state. `answeredOfferId` is set when the event was one of our offer requests. */
  agentChanged(agent: AgentView, answeredOfferId?: string): void {
    const before = this.agents.get(agent.tenant, agent.id);
    this.agents.set(agent);
    // A wait for particular agents lasts while one of them is online.
    if (!before || before.online !== agent.online) this.reconsiderTargeting(agentKey(agent.tenant, agent.id));
    const conversationId = answeredOfferId && this.conversationOfOffer.get(answeredOfferId);
    const flight = conversationId ? this.inFlight.get(conversationId) : undefined;
    // The conversation stays out of the waiting list until it commits the outcome itself.
    if (flight && !flight.answeredByAgent) {
      flight.answeredByAgent = true;
      this.agents.release(flight.agent, flight.mediaType);
    }
    this.schedulePass();
  }

  /**
   * This node leads the queue (again): its waiting list is exactly these conversations,
   * read from the store. Offers in flight for conversations still waiting are kept.
   */
  replaceQueue(tenant: string, queue: string, conversations: readonly WaitingConversation[]): void {
    const keep = new Set(conversations.map((c) => c.id));
    for (const id of [...(this.byQueue.get(tenantQueue.of(tenant, queue)) ?? [])]) {
      const c = this.waiting.get(id);
      if (c && !keep.has(id)) this.conversationChanged(c, false);
    }
    for (const c of conversations) this.conversationChanged(c, true);
  }

  /** This node no longer leads these queues: forget their conversations and offers (their new leader rebuilds them). */
  dropQueues(led: (tenant: string, queue: string) => boolean): void {
    for (const ids of [...this.byQueue.values()]) {
      for (const id of [...ids]) {
        const c = this.waiting.get(id) as WaitingConversation;
        if (led(c.tenant, c.queue)) continue;
        const flight = this.inFlight.get(id);
        if (flight) this.land(id, flight);
        this.forget(c);
        this.changed.delete(id);
      }
    }
    this.schedulePass();
  }

  /** An offer request never reached the agent (no such agent, store error): the conversation may be offered again. */
  offerLost(conversationId: string, offerId: string): void {
    const flight = this.inFlight.get(conversationId);
    if (flight?.offerId !== offerId) return;
    this.land(conversationId, flight);
    if (this.waiting.has(conversationId)) this.changed.add(conversationId);
    this.schedulePass();
  }

  /** The configuration changed (members, skills, methods…): a pass re-decides the queues whose configuration changed. */
  invalidate(): void {
    this.schedulePass();
  }

  /** One matching pass over what changed since the previous one. */
  pass(): void {
    const now = this.now();
    this.reloadQueues();
    this.endWaits(now);
    const improvements = this.agents.takeImprovements();
    if (this.options.naive) this.naivePass(now);
    else this.indexedPass(improvements, now);
    // Decided now: the changed conversations nobody took wait in their buckets.
    for (const id of this.changed) {
      const conversation = this.waiting.get(id);
      if (conversation && !this.inFlight.has(id)) this.place(conversation, now);
    }
    this.changed.clear();
    this.ready.endPass();
    this.reportWaiting();
  }

  /**
   * Serves, most urgent first, the conversations that changed and the buckets an agent
   * that gained room qualifies for. A bucket leaves the merge when its head finds nobody:
   * the rest of it needs the same.
   */
  private indexedPass(improvements: ReturnType<AgentIndex['takeImprovements']>, now: number): void {
    const gained = new Map<AgentRecord, MediaType[]>();
    for (const { record, media } of improvements) gained.set(record, media);
    // How many agents that gained room still have some, per media type: at none, only changed conversations can be served.
    const roomLeft = new Map<MediaType, number>();
    for (const media of gained.values()) for (const m of media) roomLeft.set(m, (roomLeft.get(m) ?? 0) + 1);
    const queue = new SortedList<Entry>(entryOrder);
    let seq = 0;
    const push = (conversation: WaitingConversation, from: Bucket | undefined, changed: boolean) =>
      queue.insert({ conversation, urgency: this.urgency(conversation, now), enqueuedAt: conversation.enqueuedAt, id: conversation.id, bucket: from, changed, seq: seq++ });
    const pushHead = (bucket: Bucket) => {
      const head = this.ready.head(bucket);
      if (head) queue.insert({ conversation: head, urgency: urgencyOf(head.priority, head.enqueuedAt, bucket.kind.aging, now), enqueuedAt: head.enqueuedAt, id: head.id, bucket, changed: false, seq: seq++ });
    };

    for (const id of this.changed) {
      const conversation = this.waiting.get(id);
      if (!conversation || this.inFlight.has(id)) continue;
      if (!conversation.target || !this.requirements(conversation, now).target) {
        // Its kind already waits: nobody with a free slot qualified for it, so only agents that gained room can take it (below).
        if (this.ready.waitingLike(conversation) > 0) {
          this.ready.add(conversation);
          this.changed.delete(id);
          continue;
        }
      }
      push(conversation, undefined, true);
    }
    const buckets = new Set<Bucket>();
    for (const [agent, media] of gained) {
      for (const m of media) {
        this.ready.bucketsFor(agent.view, m, buckets);
        for (const id of this.targets.waitingFor(agent.key)) {
          const conversation = this.waiting.get(id) as WaitingConversation;
          if (conversation.mediaType === m && this.awaitingAgents.has(id)) push(conversation, undefined, false);
        }
      }
    }
    for (const bucket of buckets) pushHead(bucket);

    for (let entry = queue.shift(); entry; entry = queue.shift()) {
      const { conversation, bucket, changed } = entry;
      if (!this.isReady(conversation) || (!changed && !roomLeft.get(conversation.mediaType))) continue;
      const agent = this.decide(conversation, changed, gained, now);
      if (!agent) continue;
      this.changed.delete(conversation.id);
      if (bucket) pushHead(bucket);
      const media = conversation.mediaType;
      if (gained.has(agent) && this.agents.room(agent, media) <= 0 && gained.get(agent)?.includes(media)) roomLeft.set(media, (roomLeft.get(media) ?? 1) - 1);
    }
  }

  /** The conversation chooses its agent and is offered to it; the agent, or undefined when nobody qualifies. */
  private decide(conversation: WaitingConversation, changed: boolean, gained: ReadonlyMap<AgentRecord, MediaType[]>, now: number): AgentRecord | undefined {
    const targeted = conversation.target ? this.requirements(conversation, now) : undefined;
    const kind = targeted?.target ? undefined : this.ready.kindOf(conversation);
    const requirements = kind ? kind.requirements : (targeted as Requirements);
    const method = requirements.target ? requirements.target.reason : (this.queueConfig(conversation.tenant, conversation.queue)?.method ?? 'longest-idle');
    if (changed || gained.size > POOL_LIMIT) {
      // Another conversation of its kind found nobody in this pass: so would it.
      if (kind?.starved) return undefined;
      const choice = chooseAgent(this.agents, conversation, requirements, method, now, undefined, kind && this.ready.walking(kind));
      if (!choice.record) {
        if (kind) this.ready.markStarved(kind);
        return undefined;
      }
      this.offer(conversation, choice.record, { method, candidates: choice.candidates, score: choice.score }, now);
      return choice.record;
    }
    // It waited with nobody eligible: only the agents that gained room can take it.
    const choice = choosePool(this.agents, gained.keys(), conversation, requirements, method, now);
    if (!choice.record) return undefined;
    const alone = choice.candidates === 1 && !requirements.target;
    this.offer(conversation, choice.record, alone ? { method: 'most-urgent', candidates: 1, score: undefined } : { method, candidates: choice.candidates, score: choice.score }, now);
    return choice.record;
  }

  /** The reference: reads the configuration afresh and shares nothing with the indexed pass but the offers' bookkeeping. */
  private naivePass(now: number): void {
    const ready = [...this.waiting.values()].filter((c) => !this.inFlight.has(c.id));
    const queue = (c: WaitingConversation) => this.options.queue?.(c.tenant, c.queue);
    naiveScan(ready, this.agents, {
      requirements: (c) => requirementsOf(c, queue(c), now, (id) => this.agents.get(c.tenant, id)?.online ?? false),
      method: (c) => queue(c)?.method ?? 'longest-idle',
      urgency: (c) => urgencyOf(c.priority, c.enqueuedAt, queue(c)?.aging, now),
      now,
      offer: (c, agent, reason) => this.offer(c, agent, reason, now),
    });
  }

  private offer(conversation: WaitingConversation, agent: AgentRecord, reason: { method: string; candidates: number; score: number | undefined }, now: number): void {
    const offerId = randomUUID();
    this.inFlight.set(conversation.id, { offerId, agent, mediaType: conversation.mediaType, answeredByAgent: false });
    this.conversationOfOffer.set(offerId, conversation.id);
    this.makeUnready(conversation);
    this.agents.hold(agent, conversation.mediaType);
    const { view } = agent;
    if (this.stamp.at !== now) this.stamp = { at: now, iso: new Date(now).toISOString() };
    this.options.offer(view.tenant, view.id, {
      type: 'offer.request',
      at: this.stamp.iso,
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

  /** The offer ended for the scheduler; a slot it held and the agent never counted is free again. */
  private land(conversationId: string, flight: InFlight): void {
    this.inFlight.delete(conversationId);
    this.conversationOfOffer.delete(flight.offerId);
    if (!flight.answeredByAgent) this.agents.release(flight.agent, flight.mediaType);
  }

  private isReady(conversation: WaitingConversation): boolean {
    return this.waiting.get(conversation.id) === conversation && !this.inFlight.has(conversation.id);
  }

  /** Records a waiting conversation (ready or not). */
  private keep(c: WaitingConversation): void {
    this.waiting.set(c.id, c);
    const q = tenantQueue.of(c.tenant, c.queue);
    this.queuesSeen.add(q);
    let ids = this.byQueue.get(q);
    if (!ids) this.byQueue.set(q, (ids = new Set()));
    ids.add(c.id);
    this.targets.add(c);
  }

  /** Undoes `keep` (and `makeReady`) for this version of the conversation. */
  private forget(c: WaitingConversation): void {
    this.makeUnready(c);
    this.waiting.delete(c.id);
    const q = tenantQueue.of(c.tenant, c.queue);
    const ids = this.byQueue.get(q);
    ids?.delete(c.id);
    if (ids?.size === 0) this.byQueue.delete(q);
    this.targets.delete(c);
  }

  /** A decided conversation waits in its bucket, or aside while it waits for particular agents. */
  private place(c: WaitingConversation, now: number): void {
    if (c.target && this.requirements(c, now).target) this.awaitingAgents.add(c.id);
    else this.ready.add(c);
  }

  private makeUnready(c: WaitingConversation): void {
    this.awaitingAgents.delete(c.id);
    this.ready.delete(c);
  }

  /** A target agent's presence changed: the conversations waiting for it may stop (or resume) waiting. */
  private reconsiderTargeting(agent: string): void {
    for (const id of this.targets.waitingFor(agent)) this.reconsider(id);
  }

  /** Waits for particular agents that reached their end. */
  private endWaits(now: number): void {
    for (const id of this.targets.ended(now)) this.reconsider(id);
  }

  private reconsider(id: string): void {
    const c = this.waiting.get(id);
    if (!c || this.inFlight.has(id)) return;
    this.makeUnready(c);
    this.changed.add(id);
    this.schedulePass();
  }

  /**
   * Reads every known queue's configuration again (live, as the registry holds it); the
   * conversations of a queue whose configuration changed are decided again.
   */
  private reloadQueues(): void {
    for (const [k, cached] of this.queues) {
      const config = this.options.queue?.(cached.tenant, cached.name);
      if (config === cached.config) continue;
      const fingerprint = JSON.stringify(config ?? null);
      cached.config = config;
      if (fingerprint === cached.fingerprint) continue;
      cached.fingerprint = fingerprint;
      // All out of their buckets (which go, and come back with the new requirements), to be decided again.
      for (const id of this.byQueue.get(k) ?? []) {
        if (this.inFlight.has(id)) continue;
        this.makeUnready(this.waiting.get(id) as WaitingConversation);
        this.changed.add(id);
      }
      this.ready.forgetQueue(cached.tenant, cached.name);
    }
  }

  private queueConfig(tenant: string, queue: string): QueueConfig | undefined {
    const k = tenantQueue.of(tenant, queue);
    let cached = this.queues.get(k);
    if (!cached) {
      const config = this.options.queue?.(tenant, queue);
      this.queues.set(k, (cached = { tenant, name: queue, config, fingerprint: JSON.stringify(config ?? null) }));
    }
    return cached.config;
  }

  /** What an agent needs to take this conversation now (for one waiting for particular agents, this depends on the clock and their presence). */
  private requirements(c: WaitingConversation, now: number): Requirements {
    return requirementsOf(c, this.queueConfig(c.tenant, c.queue), now, (id) => this.agents.get(c.tenant, id)?.online ?? false);
  }

  private urgency(c: WaitingConversation, now: number): number {
    return urgencyOf(c.priority, c.enqueuedAt, this.queueConfig(c.tenant, c.queue)?.aging, now);
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

  /** Waiting counts per queue (offers in flight included); every queue seen so far is reported, so one that just emptied reads 0. */
  private reportWaiting(): void {
    if (!this.options.waiting) return;
    for (const k of this.queuesSeen) {
      const [tenant = '', queue = ''] = splitQueue(k);
      this.options.waiting(tenant, queue, this.byQueue.get(k)?.size ?? 0);
    }
  }
}

function splitQueue(k: string): [string, string] {
  const slash = k.indexOf('/');
  return [k.slice(0, slash), k.slice(slash + 1)];
}

/** Whether two versions of a waiting conversation route the same (a new customer message changes nothing here). */
function sameRouting(a: WaitingConversation, b: WaitingConversation): boolean {
  return (
    a.tenant === b.tenant &&
    a.queue === b.queue &&
    a.mediaType === b.mediaType &&
    a.ring === b.ring &&
    a.language === b.language &&
    a.priority === b.priority &&
    a.enqueuedAt === b.enqueuedAt &&
    sameList(a.skills, b.skills) &&
    sameList(a.declinedBy, b.declinedBy) &&
    JSON.stringify(a.target) === JSON.stringify(b.target)
  );
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((x, i) => x === b[i]));
}
