import type { OfferRequest } from '../agent/index.ts';
import type { QueueConfig } from '../config/index.ts';
import type { MediaType } from '../contract/index.ts';
import type { AgentView } from './agent-view.ts';
import { AgentIndex, agentKey, type AgentRecord, type InFlight } from './agent-index.ts';
import { chooseAgent, comparePool } from './agent-choice.ts';
import { naiveScan } from './naive-scan.ts';
import { newOfferId } from './offer-ids.ts';
import { requirementsOf, type Requirements } from './requirements.ts';
import { BinaryHeap } from './binary-heap.ts';
import { urgencyOf } from './urgency.ts';
import { TargetWaits } from './target-waits.ts';
import { WaitingList, type Bucket } from './waiting-list.ts';
import type { WaitingConversation } from './waiting-conversation.ts';
import { LedQueues, type LedQueue } from './led-queue.ts';
import { newTracked, servedBefore, type Tracked } from './tracked.ts';

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
  /** The queues seen, each with its configuration as last read (the registry replaces a queue's object when it changes) and its conversations. */
  private readonly queues = new LedQueues<Tracked>();
  private readonly agents = new AgentIndex();
  private readonly ready: WaitingList;
  private readonly targets = new TargetWaits();
  /** Ready conversations whose requirements, order or offers changed since the last pass (those whose `changed` is still set). */
  private changedList: Tracked[] = [];
  private passQueued = false;
  private readonly now: () => number;
  /** The time of the last offer, formatted once per pass rather than per offer. */
  private stamp = { at: NaN, iso: '' };

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? Date.now;
    this.ready = new WaitingList((c) => {
      const config = this.queueConfig(c.tenant, c.queue);
      const requirements = requirementsOf({ skills: c.skills, language: c.language, ring: c.ring, target: null }, config, 0, () => false);
      return { requirements, compiled: this.agents.compiled(requirements), method: config?.method ?? 'longest-idle', aging: config?.aging };
    });
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
      tracked = newTracked(conversation);
      this.tracked.set(conversation.id, tracked);
      this.retrack(tracked, conversation, false);
      this.markChanged(tracked);
    }
    this.schedulePass();
  }

  /** An agent's committed state. `answeredOfferId` is set when the event was one of our offer requests. */
  agentChanged(agent: AgentView, answeredOfferId?: string): void {
    const known = this.agents.record(agent.tenant, agent.id);
    const wasOnline = known?.view.online;
    const record = this.agents.set(agent, known);
    // A wait for particular agents lasts while one of them is online.
    if (wasOnline !== agent.online) this.reconsiderTargeting(agentKey(agent.tenant, agent.id));
    const flight = answeredOfferId ? record.flights.find((f) => f.offerId === answeredOfferId) : undefined;
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
    for (const tracked of this.queues.find(tenant, queue)?.members.list() ?? []) {
      if (!keep.has(tracked.conversation.id)) this.conversationChanged(tracked.conversation, false);
    }
    for (const c of conversations) this.conversationChanged(c, true);
  }

  /** This node no longer leads these queues: forget their conversations and offers (their new leader rebuilds them). */
  dropQueues(led: (tenant: string, queue: string) => boolean): void {
    for (const queue of this.queues.all()) {
      for (const tracked of queue.members.list()) {
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

  /** A pass is queued: changes wait for it to become offers. */
  get passPending(): boolean {
    return this.passQueued;
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
    for (let i = 0; i < changed.length; i++) {
      const tracked = changed[i] as Tracked;
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
    const queue = new BinaryHeap<Tracked>(servedBefore);
    /** Into the merge, to be served by any agent (`changed`) or only by those that gained room. */
    const push = (tracked: Tracked, urgency: number, from: Bucket | undefined, changed: boolean) => {
      tracked.urgency = urgency;
      tracked.servedFrom = from;
      tracked.servedChanged = changed;
      tracked.servedVersion = tracked.conversation;
      queue.push(tracked);
    };
    const pushHead = (bucket: Bucket) => {
      // The waiting list holds only what this scheduler put there: tracked conversations.
      const tracked = this.ready.head(bucket) as Tracked | undefined;
      if (!tracked) return;
      const head = tracked.conversation;
      push(tracked, urgencyOf(head.priority, head.enqueuedAt, bucket.kind.aging, now), bucket, false);
    };

    // Indexed loops over what may be thousands: a function that runs once per pass may not be optimized yet, and then `for…of` allocates per item.
    const changedList = this.changedList;
    for (let i = 0; i < changedList.length; i++) {
      const tracked = changedList[i] as Tracked;
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
      push(tracked, this.urgency(tracked, now), undefined, true);
    }
    const buckets = new Set<Bucket>();
    for (const [agent, media] of gained) {
      for (const m of media) {
        this.ready.bucketsFor(agent.view, m, buckets);
        for (const id of this.targets.waitingFor(agent.key)) {
          const tracked = this.tracked.get(id) as Tracked;
          if (tracked.conversation.mediaType === m && tracked.awaiting) push(tracked, this.urgency(tracked, now), undefined, false);
        }
      }
    }
    for (const bucket of buckets) pushHead(bucket);

    for (let tracked = queue.pop(); tracked; tracked = queue.pop()) {
      const changed = tracked.servedChanged;
      const media = tracked.conversation.mediaType;
      // Offered since it was pushed, or gone: nothing to serve.
      if (tracked.gone || tracked.flight || tracked.conversation !== tracked.servedVersion || (!changed && !roomLeft.get(media))) continue;
      const from = tracked.servedFrom;
      const agent = this.decide(tracked, changed, gained, now);
      if (!agent) continue;
      tracked.changed = false;
      if (from) pushHead(from);
      if (gained.has(agent) && this.agents.room(agent, media) <= 0 && gained.get(agent)?.includes(media)) roomLeft.set(media, (roomLeft.get(media) ?? 1) - 1);
    }
  }

  /** The conversation chooses its agent and is offered to it; the agent, or undefined when nobody qualifies. */
  private decide(tracked: Tracked, changed: boolean, gained: ReadonlyMap<AgentRecord, MediaType[]>, now: number): AgentRecord | undefined {
    const { conversation } = tracked;
    const targeted = conversation.target ? this.requirements(conversation, now) : undefined;
    const kind = targeted?.target ? undefined : this.ready.kindOf(tracked);
    const requirements = kind ? kind.requirements : (targeted as Requirements);
    const method = requirements.target ? requirements.target.reason : kind ? kind.method : (this.queueConfig(conversation.tenant, conversation.queue)?.method ?? 'longest-idle');
    if (changed || gained.size > POOL_LIMIT) {
      // Another conversation of its kind found nobody in this pass: so would it.
      if (kind?.starved) return undefined;
      const choice = kind ? chooseAgent(this.agents, conversation, requirements, method, now, undefined, this.ready.walking(kind), kind.compiled) : chooseAgent(this.agents, conversation, requirements, method, now);
      if (!choice.record) {
        if (kind) this.ready.markStarved(kind);
        return undefined;
      }
      this.offer(tracked, choice.record, { method, candidates: choice.candidates, score: choice.score }, now);
      return choice.record;
    }
    // It waited with nobody eligible: only the agents that gained room can take it.
    const choice = comparePool(this.agents, gained.keys(), conversation, kind ? kind.compiled : this.agents.compiled(requirements), method, now);
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
    const offerId = newOfferId();
    tracked.flight = { offerId, agent, mediaType: conversation.mediaType, answeredByAgent: false };
    agent.flights.push(tracked.flight);
    this.makeUnready(tracked);
    this.agents.hold(agent, conversation.mediaType);
    const { view } = agent;
    if (this.stamp.at !== now) this.stamp = { at: now, iso: new Date(now).toISOString() };
    const request: OfferRequest = {
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
    };
    // Set only when transferred (a literal with a spread in it is built property by property).
    if (conversation.transferredBy) request.transferredBy = conversation.transferredBy;
    this.options.offer(view.tenant, view.id, request);
  }

  /** The offer ended for the scheduler; a slot it held and the agent never counted is free again. */
  private land(tracked: Tracked, flight: InFlight): void {
    tracked.flight = undefined;
    // Out of the agent's few offers (their order does not matter): the last one takes its place.
    const flights = flight.agent.flights;
    const last = flights.pop() as InFlight;
    if (last !== flight) flights[flights.indexOf(flight)] = last;
    if (!flight.answeredByAgent) this.agents.release(flight.agent, flight.mediaType);
  }

  /** Makes this version the tracked one (its previous version, if any, already out of its bucket and target waits). */
  private retrack(tracked: Tracked, c: WaitingConversation, sameRouting: boolean): void {
    tracked.conversation = c;
    // A kind is found again for a version that routes differently.
    if (!sameRouting) tracked.kind = undefined;
    const queue = tracked.queue;
    if (!queue || queue.tenant !== c.tenant || queue.name !== c.queue) {
      queue?.members.delete(tracked);
      tracked.queue = this.queues.of(c.tenant, c.queue);
      tracked.queue.members.add(tracked);
    }
    this.targets.add(c);
  }

  /** It stopped waiting here (out of its bucket and target waits already). */
  private untrack(tracked: Tracked): void {
    this.tracked.delete(tracked.conversation.id);
    tracked.queue?.members.delete(tracked);
    tracked.queue = undefined;
    tracked.changed = false;
    tracked.gone = true;
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
    for (const queue of this.queues.all()) {
      if (!queue.configRead) continue;
      const config = this.options.queue?.(queue.tenant, queue.name);
      if (config === queue.config) continue;
      const fingerprint = JSON.stringify(config ?? null);
      queue.config = config;
      if (fingerprint === queue.fingerprint) continue;
      queue.fingerprint = fingerprint;
      // All out of their buckets (which go, and come back with the new requirements), to be decided again.
      for (const tracked of queue.members) {
        if (tracked.flight) continue;
        this.makeUnready(tracked);
        this.markChanged(tracked);
      }
      this.ready.forgetQueue(queue.tenant, queue.name);
    }
  }

  private queueConfig(tenant: string, name: string): QueueConfig | undefined {
    return this.configOf(this.queues.of(tenant, name));
  }

  /** The queue's configuration as last read (read now the first time). */
  private configOf(queue: LedQueue<Tracked>): QueueConfig | undefined {
    if (!queue.configRead) {
      queue.config = this.options.queue?.(queue.tenant, queue.name);
      queue.fingerprint = JSON.stringify(queue.config ?? null);
      queue.configRead = true;
    }
    return queue.config;
  }

  /** What an agent needs to take this conversation now (for one waiting for particular agents, this depends on the clock and their presence). */
  private requirements(c: WaitingConversation, now: number): Requirements {
    return requirementsOf(c, this.queueConfig(c.tenant, c.queue), now, (id) => this.agents.get(c.tenant, id)?.online ?? false);
  }

  private urgency(tracked: Tracked, now: number): number {
    const c = tracked.conversation;
    const kind = tracked.kind;
    return urgencyOf(c.priority, c.enqueuedAt, kind && !kind.forgotten ? kind.aging : this.configOf(tracked.queue as LedQueue<Tracked>)?.aging, now);
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
    for (const queue of this.queues.all()) this.options.waiting(queue.tenant, queue.name, queue.members.size);
  }
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
