import { randomUUID } from 'node:crypto';
import type { OfferRequest } from '../agent/index.ts';
import type { QueueConfig } from '../config/index.ts';
import type { MediaType } from '../contract/index.ts';
import type { AgentView } from './agent-view.ts';
import { AgentIndex, agentKey, type AgentRecord } from './agent-index.ts';
import { chooseAgent, comparePool } from './agent-choice.ts';
import { naiveScan } from './naive-scan.ts';
import { requirementsOf, type Requirements } from './requirements.ts';
import { BinaryHeap } from './binary-heap.ts';
import { servingOrder, urgencyOf, type Urgent } from './urgency.ts';
import { TargetWaits } from './target-waits.ts';
import { WaitingList, type Bucket, type Listed } from './waiting-list.ts';
import type { WaitingConversation } from './waiting-conversation.ts';
import { tenantQueue } from './pair-key.ts';

/**
 * A waiting conversation (ready, or with an offer in flight) as the scheduler tracks it:
 * one object for its whole wait, which carries its state as fields, so a pass looks
 * nothing up by id.
 */
interface Tracked extends Listed {
  /** `tenant/queue` of the current version. */
  queueKey: string;
  flight: InFlight | undefined;
  /** Changed since it was last decided: the next pass decides it. */
  changed: boolean;
  /** In `changedList` (until the pass ends). */
  queued: boolean;
  /** Decided, waiting aside for particular agents (not in a bucket: only those agents may take it). */
  awaiting: boolean;
  /** No longer tracked (it stopped waiting, or its queue is led elsewhere). */
  gone: boolean;
}

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
  tracked: Tracked;
  /** The version pushed (a pass serves it only if it is still the current one). */
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
  /** Every waiting conversation, ready or with an offer in flight. */
  private readonly tracked = new Map<string, Tracked>();
  private readonly byQueue = new Map<string, Set<Tracked>>();
  private readonly agents = new AgentIndex();
  private readonly ready: WaitingList;
  private readonly targets = new TargetWaits();
  private readonly conversationOfOffer = new Map<string, Tracked>();
  /** Ready conversations whose requirements, order or offers changed since the last pass (those whose `changed` is still set). */
  private changedList: Tracked[] = [];
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
    let tracked = this.tracked.get(conversation.id);
    if (tracked) {
      // Where it was waiting, if it had been decided already (not changed since, no offer in flight).
      const placed = !tracked.flight && !tracked.changed ? (tracked.awaiting ? 'awaiting' : 'bucket') : undefined;
      const { flight } = tracked;
      if (flight && (!waiting || flight.offerId === answeredOfferId)) this.land(tracked, flight);
      this.makeUnready(tracked);
      this.targets.delete(tracked.conversation);
      if (!waiting) this.untrack(tracked);
      else {
        // Nothing that routing reads changed (a new customer message): it keeps its place, decided.
        const same = sameRouting(tracked.conversation, conversation);
        this.retrack(tracked, conversation, same);
        if (placed && same) {
          if (placed === 'awaiting') tracked.awaiting = true;
          else this.ready.add(tracked);
        } else if (!tracked.flight) this.markChanged(tracked);
      }
    } else if (waiting) {
      tracked = { conversation, kind: undefined, bucket: undefined, rank: 0, queueKey: '', flight: undefined, changed: false, queued: false, awaiting: false, gone: false };
      this.tracked.set(conversation.id, tracked);
      this.retrack(tracked, conversation, false);
      this.markChanged(tracked);
    }
    this.schedulePass();
  }

  /** An agent's committed state. `answeredOfferId` is set when the event was one of our offer requests. */
  agentChanged(agent: AgentView, answeredOfferId?: string): void {
    const before = this.agents.get(agent.tenant, agent.id);
    this.agents.set(agent);
    // A wait for particular agents lasts while one of them is online.
    if (!before || before.online !== agent.online) this.reconsiderTargeting(agentKey(agent.tenant, agent.id));
    const flight = answeredOfferId ? this.conversationOfOffer.get(answeredOfferId)?.flight : undefined;
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
    for (const tracked of [...(this.byQueue.get(tenantQueue.of(tenant, queue)) ?? [])]) {
      if (!keep.has(tracked.conversation.id)) this.conversationChanged(tracked.conversation, false);
    }
    for (const c of conversations) this.conversationChanged(c, true);
  }

  /** This node no longer leads these queues: forget their conversations and offers (their new leader rebuilds them). */
  dropQueues(led: (tenant: string, queue: string) => boolean): void {
    for (const set of [...this.byQueue.values()]) {
      for (const tracked of [...set]) {
        const c = tracked.conversation;
        if (led(c.tenant, c.queue)) continue;
        if (tracked.flight) this.land(tracked, tracked.flight);
        this.makeUnready(tracked);
        this.targets.delete(c);
        this.untrack(tracked);
      }
    }
    this.schedulePass();
  }

  /** An offer request never reached the agent (no such agent, store error): the conversation may be offered again. */
  offerLost(conversationId: string, offerId: string): void {
    const tracked = this.tracked.get(conversationId);
    if (!tracked?.flight || tracked.flight.offerId !== offerId) return;
    this.land(tracked, tracked.flight);
    this.markChanged(tracked);
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
    const changed = this.changedList;
    this.changedList = [];
    for (const tracked of changed) {
      if (tracked.changed && !tracked.flight) this.place(tracked, now);
      tracked.changed = false;
      tracked.queued = false;
    }
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
    const queue = new BinaryHeap<Entry>(entryOrder);
    let seq = 0;
    const push = (tracked: Tracked, from: Bucket | undefined, changed: boolean) => {
      const { conversation } = tracked;
      queue.push({ tracked, conversation, urgency: this.urgency(conversation, now), enqueuedAt: conversation.enqueuedAt, id: conversation.id, bucket: from, changed, seq: seq++ });
    };
    const pushHead = (bucket: Bucket) => {
      // The waiting list holds only what this scheduler put there: tracked conversations.
      const tracked = this.ready.head(bucket) as Tracked | undefined;
      if (!tracked) return;
      const head = tracked.conversation;
      queue.push({ tracked, conversation: head, urgency: urgencyOf(head.priority, head.enqueuedAt, bucket.kind.aging, now), enqueuedAt: head.enqueuedAt, id: head.id, bucket, changed: false, seq: seq++ });
    };

    for (const tracked of this.changedList) {
      if (!tracked.changed || tracked.flight) continue;
      const { conversation } = tracked;
      if (!conversation.target || !this.requirements(conversation, now).target) {
        // Its kind already waits: nobody with a free slot qualified for it, so only agents that gained room can take it (below).
        if (this.ready.waitingLike(tracked) > 0) {
          this.ready.add(tracked);
          tracked.changed = false;
          continue;
        }
      }
      push(tracked, undefined, true);
    }
    const buckets = new Set<Bucket>();
    for (const [agent, media] of gained) {
      for (const m of media) {
        this.ready.bucketsFor(agent.view, m, buckets);
        for (const id of this.targets.waitingFor(agent.key)) {
          const tracked = this.tracked.get(id) as Tracked;
          if (tracked.conversation.mediaType === m && tracked.awaiting) push(tracked, undefined, false);
        }
      }
    }
    for (const bucket of buckets) pushHead(bucket);

    for (let entry = queue.pop(); entry; entry = queue.pop()) {
      const { tracked, conversation, bucket, changed } = entry;
      if (!isReady(tracked, conversation) || (!changed && !roomLeft.get(conversation.mediaType))) continue;
      const agent = this.decide(tracked, changed, gained, now);
      if (!agent) continue;
      tracked.changed = false;
      if (bucket) pushHead(bucket);
      const media = conversation.mediaType;
      if (gained.has(agent) && this.agents.room(agent, media) <= 0 && gained.get(agent)?.includes(media)) roomLeft.set(media, (roomLeft.get(media) ?? 1) - 1);
    }
  }

  /** The conversation chooses its agent and is offered to it; the agent, or undefined when nobody qualifies. */
  private decide(tracked: Tracked, changed: boolean, gained: ReadonlyMap<AgentRecord, MediaType[]>, now: number): AgentRecord | undefined {
    const { conversation } = tracked;
    const targeted = conversation.target ? this.requirements(conversation, now) : undefined;
    const kind = targeted?.target ? undefined : this.ready.kindOf(tracked);
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
      this.offer(tracked, choice.record, { method, candidates: choice.candidates, score: choice.score }, now);
      return choice.record;
    }
    // It waited with nobody eligible: only the agents that gained room can take it.
    const choice = comparePool(this.agents, gained.keys(), conversation, this.agents.compiled(requirements), method, now);
    if (!choice.record) return undefined;
    const alone = choice.candidates === 1 && !requirements.target;
    this.offer(tracked, choice.record, alone ? { method: 'most-urgent', candidates: 1, score: undefined } : { method, candidates: choice.candidates, score: choice.score }, now);
    return choice.record;
  }

  /** The reference: reads the configuration afresh and shares nothing with the indexed pass but the offers' bookkeeping. */
  private naivePass(now: number): void {
    const ready: WaitingConversation[] = [];
    for (const tracked of this.tracked.values()) if (!tracked.flight) ready.push(tracked.conversation);
    const queue = (c: WaitingConversation) => this.options.queue?.(c.tenant, c.queue);
    naiveScan(ready, this.agents, {
      requirements: (c) => requirementsOf(c, queue(c), now, (id) => this.agents.get(c.tenant, id)?.online ?? false),
      method: (c) => queue(c)?.method ?? 'longest-idle',
      urgency: (c) => urgencyOf(c.priority, c.enqueuedAt, queue(c)?.aging, now),
      now,
      offer: (c, agent, reason) => this.offer(this.tracked.get(c.id) as Tracked, agent, reason, now),
    });
  }

  private offer(tracked: Tracked, agent: AgentRecord, reason: { method: string; candidates: number; score: number | undefined }, now: number): void {
    const { conversation } = tracked;
    const offerId = randomUUID();
    tracked.flight = { offerId, agent, mediaType: conversation.mediaType, answeredByAgent: false };
    this.conversationOfOffer.set(offerId, tracked);
    this.makeUnready(tracked);
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
      ...(conversation.transferredBy && { transferredBy: conversation.transferredBy }),
    });
  }

  /** The offer ended for the scheduler; a slot it held and the agent never counted is free again. */
  private land(tracked: Tracked, flight: InFlight): void {
    tracked.flight = undefined;
    this.conversationOfOffer.delete(flight.offerId);
    if (!flight.answeredByAgent) this.agents.release(flight.agent, flight.mediaType);
  }

  /** Makes this version the tracked one (its previous version, if any, already out of its bucket and target waits). */
  private retrack(tracked: Tracked, c: WaitingConversation, sameRouting: boolean): void {
    tracked.conversation = c;
    // A kind is found again for a version that routes differently.
    if (!sameRouting) tracked.kind = undefined;
    const q = tenantQueue.of(c.tenant, c.queue);
    if (q !== tracked.queueKey) {
      if (tracked.queueKey) this.leaveQueue(tracked);
      tracked.queueKey = q;
      this.queuesSeen.add(q);
      let set = this.byQueue.get(q);
      if (!set) this.byQueue.set(q, (set = new Set()));
      set.add(tracked);
    }
    this.targets.add(c);
  }

  /** It stopped waiting here (out of its bucket and target waits already). */
  private untrack(tracked: Tracked): void {
    this.tracked.delete(tracked.conversation.id);
    this.leaveQueue(tracked);
    tracked.changed = false;
    tracked.gone = true;
  }

  private leaveQueue(tracked: Tracked): void {
    const set = this.byQueue.get(tracked.queueKey);
    set?.delete(tracked);
    if (set?.size === 0) this.byQueue.delete(tracked.queueKey);
  }

  private markChanged(tracked: Tracked): void {
    tracked.changed = true;
    if (tracked.queued) return;
    tracked.queued = true;
    this.changedList.push(tracked);
  }

  /** A decided conversation waits in its bucket, or aside while it waits for particular agents. */
  private place(tracked: Tracked, now: number): void {
    const c = tracked.conversation;
    if (c.target && this.requirements(c, now).target) tracked.awaiting = true;
    else this.ready.add(tracked);
  }

  private makeUnready(tracked: Tracked): void {
    tracked.awaiting = false;
    this.ready.delete(tracked);
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
    const tracked = this.tracked.get(id);
    if (!tracked || tracked.flight) return;
    this.makeUnready(tracked);
    this.markChanged(tracked);
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
      for (const tracked of this.byQueue.get(k) ?? []) {
        if (tracked.flight) continue;
        this.makeUnready(tracked);
        this.markChanged(tracked);
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

/** Whether the entry's conversation may still be offered: the version pushed is the current one and nothing was offered to it since. */
function isReady(tracked: Tracked, conversation: WaitingConversation): boolean {
  return !tracked.gone && !tracked.flight && tracked.conversation === conversation;
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
