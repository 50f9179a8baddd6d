import { randomUUID } from 'node:crypto';
import type { OfferRequest } from '../agent/events.ts';
import type { QueueConfig, RoutingMethod } from '../config/index.ts';
import type { AgentView } from './agent-view.ts';
import { qualifies } from './eligibility.ts';
import { requirementsOf, type Requirements } from './requirements.ts';
import { beats, score } from './methods.ts';
import type { WaitingConversation } from './waiting-conversation.ts';

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
}

const agentKey = (tenant: string, id: string) => `${tenant}/${id}`;
const slotKey = (agent: string, media: string) => `${agent}|${media}`;

/**
 * Matches waiting conversations to agents. An agent is eligible when it is available, a
 * member of the queue, has every required skill at the queue's minimum proficiency,
 * speaks the conversation's language and can be offered the media type; among eligible
 * agents the queue's method decides. Conversations go by priority (aged by time waited),
 * then by time waited.
 *
 * The scheduler only proposes: the agent actor reserves or declines, and the
 * conversation actor accepts one reservation. Its state is a cache of the actors'
 * committed state, rebuilt from the store on start, so losing it loses nothing.
 */
export class Scheduler {
  private readonly waiting = new Map<string, WaitingConversation>();
  private readonly agents = new Map<string, AgentView>();
  /** Offers sent, by conversation id; and the conversation of each offer id. */
  private readonly inFlight = new Map<string, InFlight>();
  private readonly conversationOfOffer = new Map<string, string>();
  private passQueued = false;
  private readonly queuesSeen = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A conversation's committed state. `offerId` is set when the event that changed it answered one of our offers. */
  conversationChanged(conversation: WaitingConversation, waiting: boolean, answeredOfferId?: string): void {
    const flight = this.inFlight.get(conversation.id);
    if (flight && (!waiting || flight.offerId === answeredOfferId)) this.land(conversation.id, flight.offerId);
    if (waiting) this.waiting.set(conversation.id, conversation);
    else this.waiting.delete(conversation.id);
    this.schedulePass();
  }

  /** An agent's committed state. `answeredOfferId` is set when the event was one of our offer requests. */
  agentChanged(agent: AgentView, answeredOfferId?: string): void {
    this.agents.set(agentKey(agent.tenant, agent.id), agent);
    // The conversation stays out of the waiting list until it commits the outcome itself.
    const conversationId = answeredOfferId && this.conversationOfOffer.get(answeredOfferId);
    const flight = conversationId ? this.inFlight.get(conversationId) : undefined;
    if (flight) flight.answeredByAgent = true;
    this.schedulePass();
  }

  /** An offer request never reached the agent (no such agent, store error): the conversation may be offered again. */
  offerLost(conversationId: string, offerId: string): void {
    if (this.inFlight.get(conversationId)?.offerId === offerId) this.land(conversationId, offerId);
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

  /** One matching pass over every waiting conversation. */
  pass(): void {
    // Slots held by offers the agents have not answered yet, per agent and media type.
    const reserved = new Map<string, number>();
    const hold = (key: string) => reserved.set(key, (reserved.get(key) ?? 0) + 1);
    for (const flight of this.inFlight.values()) if (!flight.answeredByAgent) hold(slotKey(flight.agentKey, flight.mediaType));
    const counts = new Map<string, number>();
    const now = this.now();
    const urgency = (c: WaitingConversation) => {
      const aging = this.options.queue?.(c.tenant, c.queue)?.aging;
      return c.priority + (aging && aging.step > 0 ? aging.step * Math.floor((now - c.enqueuedAt) / aging.everyMs) : 0);
    };
    const ordered = [...this.waiting.values()]
      .map((c) => ({ c, urgency: urgency(c) }))
      .sort((a, b) => b.urgency - a.urgency || a.c.enqueuedAt - b.c.enqueuedAt || (a.c.id < b.c.id ? -1 : 1))
      .map((x) => x.c);
    for (const conversation of ordered) {
      const queueKey = `${conversation.tenant}/${conversation.queue}`;
      counts.set(queueKey, (counts.get(queueKey) ?? 0) + 1);
      if (this.inFlight.has(conversation.id)) continue;
      const queue = this.options.queue?.(conversation.tenant, conversation.queue);
      const requirements = requirementsOf(conversation, queue, now, (id) => this.agents.get(agentKey(conversation.tenant, id))?.online ?? false);
      // Waiting for particular agents: the first of them who can take it (preference order).
      const method = requirements.target ? requirements.target.reason : (queue?.method ?? 'longest-idle');
      const { agent, candidates, best } = this.pick(conversation, requirements, method, reserved, now);
      if (!agent) continue;
      const key = agentKey(agent.tenant, agent.id);
      const offerId = randomUUID();
      this.inFlight.set(conversation.id, { offerId, agentKey: key, mediaType: conversation.mediaType, answeredByAgent: false });
      this.conversationOfOffer.set(offerId, conversation.id);
      hold(slotKey(key, conversation.mediaType));
      this.options.offer(agent.tenant, agent.id, {
        type: 'offer.request',
        at: new Date(this.now()).toISOString(),
        offerId,
        conversationId: conversation.id,
        mediaType: conversation.mediaType,
        queue: conversation.queue,
        channel: conversation.channel,
        channelType: conversation.channelType,
        customerId: conversation.customerId,
        customerName: conversation.customerName,
        timeoutMs: conversation.alertingTimeoutMs,
        reason: { method, candidates, score: best },
      });
    }
    // Report every queue seen so far, so a queue that just emptied reads 0.
    for (const key of counts.keys()) this.queuesSeen.add(key);
    for (const key of this.queuesSeen) {
      const [tenant = '', queue = ''] = key.split('/');
      this.options.waiting?.(tenant, queue, counts.get(key) ?? 0);
    }
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
    const pool = requirements.target
      ? requirements.target.agents.flatMap((id) => this.agents.get(agentKey(conversation.tenant, id)) ?? [])
      : this.agents.values();
    let best: { agent: AgentView; score: number; declined: boolean } | undefined;
    let candidates = 0;
    for (const agent of pool) {
      if (!qualifies(agent, conversation.tenant, requirements)) continue;
      const free = (agent.offerable[conversation.mediaType] ?? 0) - (reserved.get(slotKey(agentKey(agent.tenant, agent.id), conversation.mediaType)) ?? 0);
      if (free <= 0) continue;
      candidates++;
      const rank = requirements.target ? -requirements.target.agents.indexOf(agent.id) : score(method as RoutingMethod, agent, requirements.skills, now);
      const candidate = { agent, score: rank, declined: conversation.declinedBy.includes(agent.id) };
      if (!best || (best.declined && !candidate.declined) || (best.declined === candidate.declined && beats(candidate, best))) best = candidate;
    }
    return { agent: best?.agent, candidates, best: best?.score };
  }

  /** Waiting conversations, for tests and the API. */
  waitingCount(): number {
    return this.waiting.size;
  }
}
