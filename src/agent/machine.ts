import { and, assign, setup } from 'xstate';
import type { Effect } from '../runtime/index.ts';
import type { ActiveConversation, AgentContext, PendingOffer } from './context.ts';
import { DEFAULT_INTERRUPTIBLE_BY, offerableCapacity, usedCapacity } from './context.ts';
import type { AgentActorEvent } from './events.ts';
import { MediaTypes, type Presence } from '../contract/index.ts';

type Args = { context: AgentContext; event: AgentActorEvent };
type Of<T extends AgentActorEvent['type']> = Extract<AgentActorEvent, { type: T }>;

export interface AgentInput {
  tenant: string;
  id: string;
  at: string;
}

const offerTimer = (offerId: string) => `offer:${offerId}`;

/** The agent's published view of its state: presence and capacity per media type. */
export function agentStateOf(ctx: AgentContext) {
  const capacity: Partial<Record<(typeof MediaTypes)[number], { max: number; used: number }>> = {};
  for (const media of MediaTypes) {
    const max = ctx.capacity[media];
    if (max !== undefined) capacity[media] = { max, used: usedCapacity(ctx, media) };
  }
  return { type: 'agent.state' as const, presence: ctx.presence, capacity };
}

const stateChanged = ({ context }: Args): Effect[] => [{ kind: 'notify', agentId: context.id, event: agentStateOf(context) }];

/** When presence last changed: entering the presence the agent already has keeps the time. */
const since =
  (presence: Presence) =>
  ({ context, event }: Args): string | undefined =>
    context.presence === presence ? context.presenceSince : 'at' in event ? event.at : context.presenceSince;

const ok = ({ context, event }: Args): Effect[] =>
  'commandId' in event ? [{ kind: 'reply', agentId: context.id, commandId: event.commandId }] : [];

const offerNotFound = ({ context, event }: Args): Effect[] =>
  'commandId' in event ? [{ kind: 'reply', agentId: context.id, commandId: event.commandId, error: 'offerNotFound' }] : [];

/** The `offer.created` event announcing a ringing offer to the agent's clients. */
export function offerCreatedOf(offer: PendingOffer) {
  return {
    type: 'offer.created' as const,
    offerId: offer.offerId,
    conversationId: offer.conversationId,
    channel: offer.channel,
    channelType: offer.channelType,
    mediaType: offer.mediaType,
    customerId: offer.customerId,
    ...(offer.customerName !== undefined && { customerName: offer.customerName }),
    expiresAt: offer.expiresAt,
    ...(offer.transferredBy && { transferredBy: offer.transferredBy }),
  };
}

function pendingOfferOf(e: Of<'offer.request'>): PendingOffer {
  return {
    offerId: e.offerId,
    conversationId: e.conversationId,
    channel: e.channel,
    channelType: e.channelType,
    customerId: e.customerId,
    customerName: e.customerName,
    mediaType: e.mediaType,
    queue: e.queue,
    offeredAt: e.at,
    expiresAt: new Date(Date.parse(e.at) + e.timeoutMs).toISOString(),
    ...(e.transferredBy && { transferredBy: e.transferredBy }),
  };
}

const reserve = ({ context, event }: Args): Effect[] => {
  const e = event as Of<'offer.request'>;
  const offer = pendingOfferOf(e);
  return [
    // A transfer's source is kept with the routing decision: the timeline shows who handed it over.
    {
      kind: 'assignment.offer',
      offerId: e.offerId,
      conversationId: e.conversationId,
      mediaType: e.mediaType,
      queue: e.queue,
      at: e.at,
      reason: e.transferredBy ? { ...e.reason, transferredBy: e.transferredBy } : e.reason,
    },
    { kind: 'timer.arm', name: offerTimer(e.offerId), at: offer.expiresAt, event: { type: 'offer.timeout', offerId: e.offerId, at: offer.expiresAt } },
    { kind: 'send', to: { kind: 'conversation', id: e.conversationId }, event: { type: 'offer.reserved', at: e.at, offerId: e.offerId, agentId: context.id } },
    { kind: 'notify', agentId: context.id, event: offerCreatedOf(offer) },
  ];
};

const declineRequest = ({ context, event }: Args): Effect[] => {
  const e = event as Of<'offer.request'>;
  return [
    { kind: 'send', to: { kind: 'conversation', id: e.conversationId }, event: { type: 'offer.declined', at: e.at, offerId: e.offerId, agentId: context.id, reason: 'unavailable' } },
  ];
};

function acceptOffer(context: AgentContext, offerId: string, at: string, commandId: string | undefined): Effect[] {
  const offer = context.offers.find((o) => o.offerId === offerId);
  if (!offer) return [];
  return [
    { kind: 'timer.cancel', name: offerTimer(offerId) },
    { kind: 'assignment.update', offerId, state: 'accepted', at, queue: offer.queue, offeredAt: offer.offeredAt },
    // The conversation answers the command once it is connected, so that "accepted" means
    // the agent can write at once.
    { kind: 'send', to: { kind: 'conversation', id: offer.conversationId }, event: { type: 'offer.accepted', at, offerId, agentId: context.id, commandId } },
  ];
}

const accept = ({ context, event }: Args): Effect[] => {
  const e = event as Of<'offer.accept'>;
  return acceptOffer(context, e.offerId, e.at, e.commandId);
};

/** Auto-answer: the offer just reserved is accepted on the agent's behalf. */
const acceptAutomatically = ({ context, event }: Args): Effect[] => {
  const e = event as Of<'offer.request'>;
  return acceptOffer(context, e.offerId, e.at, undefined);
};

/** An offer that ends without being accepted: rejected, timed out, rescinded or dropped by going offline. */
function endOffer(context: AgentContext, offerId: string, at: string, why: 'rejected' | 'timeout' | 'rescinded' | 'offline'): Effect[] {
  const offer = context.offers.find((o) => o.offerId === offerId);
  if (!offer) return [];
  const effects: Effect[] = [
    { kind: 'timer.cancel', name: offerTimer(offerId) },
    { kind: 'assignment.update', offerId, state: why === 'offline' ? 'declined' : why, at, queue: offer.queue, offeredAt: offer.offeredAt },
    { kind: 'notify', agentId: context.id, event: { type: 'offer.revoked', offerId, conversationId: offer.conversationId, reason: why } },
  ];
  // A rescinded offer was withdrawn by the conversation itself: nothing to tell it.
  if (why !== 'rescinded') {
    effects.push({ kind: 'send', to: { kind: 'conversation', id: offer.conversationId }, event: { type: 'offer.declined', at, offerId, agentId: context.id, reason: why } });
  }
  return effects;
}

const release = ({ context, event }: Args): Effect[] => {
  const e = event as Of<'assignment.release'>;
  const active = context.active.find((a) => a.conversationId === e.conversationId);
  if (!active) return [];
  // A stray acceptance never became an assignment: recorded as rescinded, not as one that ended.
  const state = e.stray ? 'rescinded' : 'ended';
  if (!e.afterWorkMs) return [{ kind: 'assignment.update', offerId: active.offerId, state, at: e.at, queue: null }];
  const until = afterWorkUntil(e);
  return [
    { kind: 'assignment.update', offerId: active.offerId, state, at: e.at, queue: null, afterWorkUntil: until },
    { kind: 'timer.arm', name: `after-work:${e.conversationId}`, at: until, event: { type: 'after-work.done', conversationId: e.conversationId, at: until } },
  ];
};

/** The after-conversation work of a conversation ended: its assignment no longer holds a slot. */
const afterWorkDone = ({ context, event }: Args): Effect[] => {
  const e = event as Of<'after-work.done'>;
  const active = context.active.find((a) => a.conversationId === e.conversationId);
  return active ? [{ kind: 'assignment.after-work-done', offerId: active.offerId }] : [];
};

/**
 * The active list with one more conversation, in the order its rows are read back (by
 * acceptance, then offer id: see `agentSnapshot`), with times as they are read back: an
 * agent loaded from its rows is the agent that was held in memory.
 */
function withActive(active: readonly ActiveConversation[], added: ActiveConversation): ActiveConversation[] {
  const entry = { ...added, since: new Date(added.since).toISOString() };
  const at = Date.parse(entry.since);
  const before = active.findIndex((a) => Date.parse(a.since) > at || (Date.parse(a.since) === at && a.offerId > entry.offerId));
  return before < 0 ? [...active, entry] : [...active.slice(0, before), entry, ...active.slice(before)];
}

const afterWorkUntil = (e: Of<'assignment.release'>) => new Date(Date.parse(e.at) + (e.afterWorkMs ?? 0)).toISOString();

/** The agent started a conversation: recorded as an assignment accepted at once (reports, the agent's history). */
const takeStarted = ({ context, event }: Args): Effect[] => {
  const e = event as Of<'assignment.take'>;
  return [
    { kind: 'assignment.offer', offerId: e.assignmentId, conversationId: e.conversationId, mediaType: e.mediaType, queue: e.queue, at: e.at, reason: { method: 'agent-started', candidates: 1 } },
    { kind: 'assignment.update', offerId: e.assignmentId, state: 'accepted', at: e.at, queue: e.queue, offeredAt: e.at },
    { kind: 'send', to: { kind: 'conversation', id: e.conversationId }, event: { type: 'assignment.taken', at: e.at, agentId: context.id, assignmentId: e.assignmentId } },
  ];
};

const refuseStarted = ({ context, event }: Args): Effect[] => {
  const e = event as Of<'assignment.take'>;
  return [{ kind: 'send', to: { kind: 'conversation', id: e.conversationId }, event: { type: 'assignment.refused', at: e.at, agentId: context.id, error: 'agentAtCapacity' } }];
};

const dropOffers = ({ context, event }: Args): Effect[] => context.offers.flatMap((o) => endOffer(context, o.offerId, event.at, 'offline'));

/**
 * An agent: presence (offline / available / away), capacity per media type, and the
 * offers and conversations it holds. The agent actor is the only writer of its capacity:
 * an offer is reserved here or declined, so concurrent offers can never over-assign.
 */
export const agentMachine = setup({
  types: {
    context: {} as AgentContext,
    events: {} as AgentActorEvent,
    input: {} as AgentInput,
  },
  actions: {
    // Interpreted by the host (see actor/host.ts); never executed by XState itself.
    effects: (_: unknown, _effects: Effect[]) => {},
    configure: assign(({ event }) => {
      const e = event as Of<'agent.configure'>;
      return {
        name: e.name,
        skills: e.skills,
        capacity: e.capacity,
        proficiency: e.proficiency ?? {},
        languages: e.languages ?? [],
        labels: e.labels ?? {},
        interruptibleBy: e.interruptibleBy ?? DEFAULT_INTERRUPTIBLE_BY,
        autoAccept: e.autoAccept ?? false,
        awayAfterMissedOffers: e.awayAfterMissedOffers ?? 3,
      };
    }),
    addOffer: assign({ offers: ({ context, event }) => [...context.offers, pendingOfferOf(event as Of<'offer.request'>)] }),
    activate: assign(({ context, event }) => {
      const e = event as Of<'offer.accept'> | Of<'offer.request'>;
      const offer = context.offers.find((o) => o.offerId === e.offerId);
      if (!offer) return {};
      return {
        offers: context.offers.filter((o) => o.offerId !== e.offerId),
        active: withActive(context.active, { conversationId: offer.conversationId, offerId: offer.offerId, mediaType: offer.mediaType, since: e.at }),
        lastActivityAt: e.at,
        lastAssignedAt: e.at,
        missedOffers: 0,
      };
    }),
    countMissed: assign({ missedOffers: ({ context }) => context.missedOffers + 1 }),
    removeOffer: assign({
      offers: ({ context, event }) => context.offers.filter((o) => !('offerId' in event) || o.offerId !== event.offerId),
    }),
    removeActive: assign(({ context, event }) => {
      const e = event as Of<'assignment.release'> | Of<'after-work.done'>;
      return { active: context.active.filter((a) => a.conversationId !== e.conversationId), lastActivityAt: e.at };
    }),
    /** The interaction ended but after-conversation work keeps the slot busy until the timer. */
    startAfterWork: assign(({ context, event }) => {
      const e = event as Of<'assignment.release'>;
      const until = afterWorkUntil(e);
      return { active: context.active.map((a) => (a.conversationId === e.conversationId ? { ...a, afterWorkUntil: until } : a)) };
    }),
  },
  guards: {
    canTake: ({ context, event }) => {
      const e = event as Of<'offer.request'>;
      return (
        offerableCapacity(context, e.mediaType) > 0 &&
        !context.offers.some((o) => o.conversationId === e.conversationId) &&
        !context.active.some((a) => a.conversationId === e.conversationId)
      );
    },
    autoAccepts: ({ context }) => context.autoAccept,
    /** This missed offer is one too many: the agent is set away. */
    missedTooMany: ({ context, event }) =>
      'offerId' in event && context.offers.some((o) => o.offerId === event.offerId) && context.awayAfterMissedOffers > 0 && context.missedOffers + 1 >= context.awayAfterMissedOffers,
    /** An agent who is signed in (available or away) may start a conversation in a free slot of its media type. */
    canStart: ({ context, event }) => {
      const e = event as Of<'assignment.take'>;
      return context.presence !== 'offline' && offerableCapacity(context, e.mediaType) > 0 && !context.active.some((a) => a.conversationId === e.conversationId);
    },
    hasOffer: ({ context, event }) => 'offerId' in event && context.offers.some((o) => o.offerId === event.offerId),
    hasActive: ({ context, event }) => 'conversationId' in event && context.active.some((a) => a.conversationId === event.conversationId),
  },
}).createMachine({
  id: 'agent',
  context: ({ input }) => ({
    tenant: input.tenant,
    id: input.id,
    name: input.id,
    skills: [],
    proficiency: {},
    languages: [],
    labels: {},
    capacity: {},
    interruptibleBy: DEFAULT_INTERRUPTIBLE_BY,
    autoAccept: false,
    awayAfterMissedOffers: 3,
    missedOffers: 0,
    presence: 'offline',
    presenceSince: input.at,
    offers: [],
    active: [],
    lastActivityAt: input.at,
    lastAssignedAt: input.at,
  }),
  initial: 'offline',
  on: {
    'agent.configure': { actions: ['configure', { type: 'effects', params: ok }, { type: 'effects', params: stateChanged }] },
    'presence.set': [
      { guard: ({ event }) => event.presence === 'available', target: '.available', actions: { type: 'effects', params: ok } },
      { guard: ({ event }) => event.presence === 'away', target: '.away', actions: { type: 'effects', params: ok } },
      { target: '.offline', actions: { type: 'effects', params: ok } },
    ],
    // Only an available agent takes offers (see the `available` state).
    'offer.request': { actions: { type: 'effects', params: declineRequest } },
    'offer.accept': [
      { guard: 'hasOffer', actions: [{ type: 'effects', params: accept }, 'activate', { type: 'effects', params: stateChanged }] },
      { actions: { type: 'effects', params: offerNotFound } },
    ],
    'offer.reject': [
      {
        guard: 'hasOffer',
        actions: [
          { type: 'effects', params: ({ context, event }: Args) => endOffer(context, (event as Of<'offer.reject'>).offerId, event.at, 'rejected') },
          'removeOffer',
          { type: 'effects', params: ok },
          { type: 'effects', params: stateChanged },
        ],
      },
      { actions: { type: 'effects', params: offerNotFound } },
    ],
    'offer.timeout': [
      {
        // Offers that keep ringing out mean nobody is there: stop routing to this agent.
        guard: 'missedTooMany',
        target: '.away',
        actions: [
          { type: 'effects', params: ({ context, event }: Args) => endOffer(context, (event as Of<'offer.timeout'>).offerId, event.at, 'timeout') },
          'removeOffer',
          assign({ missedOffers: 0 }),
        ],
      },
      {
        guard: 'hasOffer',
        actions: [
          { type: 'effects', params: ({ context, event }: Args) => endOffer(context, (event as Of<'offer.timeout'>).offerId, event.at, 'timeout') },
          'removeOffer',
          'countMissed',
          { type: 'effects', params: stateChanged },
        ],
      },
    ],
    'offer.rescind': {
      guard: 'hasOffer',
      actions: [
        { type: 'effects', params: ({ context, event }: Args) => endOffer(context, (event as Of<'offer.rescind'>).offerId, event.at, 'rescinded') },
        'removeOffer',
        { type: 'effects', params: stateChanged },
      ],
    },
    'assignment.release': [
      {
        guard: and(['hasActive', ({ event }) => ('afterWorkMs' in event ? (event.afterWorkMs ?? 0) : 0) > 0]),
        actions: [{ type: 'effects', params: release }, 'startAfterWork', { type: 'effects', params: stateChanged }],
      },
      { guard: 'hasActive', actions: [{ type: 'effects', params: release }, 'removeActive', { type: 'effects', params: stateChanged }] },
    ],
    'assignment.take': [
      {
        guard: 'canStart',
        actions: [
          { type: 'effects', params: takeStarted },
          assign(({ context, event }) => {
            const e = event;
            return {
              active: withActive(context.active, { conversationId: e.conversationId, offerId: e.assignmentId, mediaType: e.mediaType, since: e.at }),
              lastActivityAt: e.at,
              lastAssignedAt: e.at,
            };
          }),
          { type: 'effects', params: stateChanged },
        ],
      },
      { actions: { type: 'effects', params: refuseStarted } },
    ],
    'after-work.done': { guard: 'hasActive', actions: [{ type: 'effects', params: afterWorkDone }, 'removeActive', { type: 'effects', params: stateChanged }] },
  },
  states: {
    offline: {
      entry: [
        { type: 'effects', params: dropOffers },
        assign({ offers: [], presence: 'offline', presenceSince: since('offline') }),
        { type: 'effects', params: stateChanged },
      ],
    },
    away: {
      entry: [assign({ presence: 'away', presenceSince: since('away') }), { type: 'effects', params: stateChanged }],
    },
    available: {
      entry: [
        assign({
          presence: 'available',
          presenceSince: since('available'),
          lastActivityAt: ({ context, event }) => ('at' in event ? event.at : context.lastActivityAt),
        }),
        { type: 'effects', params: stateChanged },
      ],
      on: {
        'offer.request': [
          {
            guard: and(['canTake', 'autoAccepts']),
            actions: [
              { type: 'effects', params: reserve },
              'addOffer',
              { type: 'effects', params: acceptAutomatically },
              'activate',
              { type: 'effects', params: stateChanged },
            ],
          },
          { guard: 'canTake', actions: [{ type: 'effects', params: reserve }, 'addOffer', { type: 'effects', params: stateChanged }] },
          { actions: { type: 'effects', params: declineRequest } },
        ],
      },
    },
  },
});
