import { randomUUID } from 'node:crypto';
import { assign, setup } from 'xstate';
import type { OutboundMessage, TranscriptMessage } from '../contract/index.ts';
import type { Effect } from '../actor/effects.ts';
import type { ConversationContext, ConversationInput } from './context.ts';
import type { ConversationActorEvent } from './events.ts';

type Args = { context: ConversationContext; event: ConversationActorEvent };
type Of<T extends ConversationActorEvent['type']> = Extract<ConversationActorEvent, { type: T }>;

const WINDOW_TIMER = 'threading-window';

// Effect builders: pure functions of context and event, named for what they ask.

const rescindStrayOffer = ({ event }: Args): Effect[] => {
  const e = event as Of<'offer.reserved'>;
  return [{ kind: 'send', to: { kind: 'agent', id: e.agentId }, event: { type: 'offer.rescind', at: e.at, offerId: e.offerId } }];
};

const releaseStrayAcceptance = ({ context, event }: Args): Effect[] => {
  const e = event as Of<'offer.accepted'>;
  return [
    { kind: 'send', to: { kind: 'agent', id: e.agentId }, event: { type: 'assignment.release', at: e.at, conversationId: context.id } },
    { kind: 'reply', agentId: e.agentId, commandId: e.commandId, error: 'offerNotFound' },
  ];
};

const confirmAssignment = ({ context, event }: Args): Effect[] => {
  const e = event as Of<'offer.accepted'>;
  return [
    { kind: 'notify', agentId: e.agentId, event: { type: 'conversation.assigned', conversationId: context.id, offerId: e.offerId } },
    { kind: 'reply', agentId: e.agentId, commandId: e.commandId },
  ];
};

const refuseCommand = ({ event }: Args): Effect[] => {
  const e = event as Of<'agent.message'> | Of<'agent.close'>;
  return [{ kind: 'reply', agentId: e.agentId, commandId: e.commandId, error: 'notAssigned' }];
};

const forwardToAgent = ({ context, event }: Args): Effect[] => {
  const e = event as Of<'customer.message'>;
  return context.agentId
    ? [{ kind: 'notify', agentId: context.agentId, event: { type: 'conversation.message', conversationId: context.id, message: e.message } }]
    : [];
};

const requestLastAgent = ({ context, event }: Args): Effect[] => {
  const offer = context.offer;
  if (!offer) return [];
  return [
    {
      kind: 'send',
      to: { kind: 'agent', id: offer.agentId },
      event: {
        type: 'offer.request',
        at: event.at,
        offerId: offer.offerId,
        conversationId: context.id,
        mediaType: context.mediaType,
        queue: context.queue,
        channel: context.channel,
        channelType: context.channelType,
        customerId: context.customerId,
        customerName: context.customer.name,
        timeoutMs: context.alertingTimeoutMs,
        reason: { method: 'last-agent', candidates: 1, affinity: 'last-agent' },
      },
    },
  ];
};

const sendAgentMessage = ({ context, event }: Args): Effect[] => {
  const e = event as Of<'agent.message'>;
  const message: TranscriptMessage = {
    id: e.commandId,
    conversationId: context.id,
    direction: 'outbound',
    channel: context.channel,
    agentId: e.agentId,
    sentAt: e.at,
    ...(e.text !== undefined && { text: e.text }),
    ...(e.attachments && { attachments: e.attachments }),
    ...(e.content && { content: e.content }),
  };
  const outbound: OutboundMessage = {
    version: 1,
    id: e.commandId,
    tenant: context.tenant,
    channel: context.channel,
    conversationId: context.id,
    to: { id: context.customer.id, idType: context.customer.idType },
    agentId: e.agentId,
    timestamp: e.at,
    ...(e.text !== undefined && { text: e.text }),
    ...(e.attachments && { attachments: e.attachments }),
    ...(e.content && { content: e.content }),
  };
  return [
    { kind: 'message.store', message, customerId: context.customerId },
    { kind: 'deliver', message: outbound },
    { kind: 'reply', agentId: e.agentId, commandId: e.commandId },
  ];
};

const parkWithAgent = ({ context, event }: Args): Effect[] => {
  const e = event as Of<'agent.close'>;
  return [
    { kind: 'send', to: { kind: 'agent', id: e.agentId }, event: { type: 'assignment.release', at: e.at, conversationId: context.id } },
    { kind: 'notify', agentId: e.agentId, event: { type: 'conversation.ended', conversationId: context.id, reason: 'closed-by-agent' } },
    { kind: 'reply', agentId: e.agentId, commandId: e.commandId },
  ];
};

const armWindow = ({ context }: Args): Effect[] => {
  const at = new Date(Date.parse(context.lastMessageAt) + context.threadingWindowMs).toISOString();
  return [{ kind: 'timer.arm', name: WINDOW_TIMER, at, event: { type: 'window.expired', at } }];
};

const cancelWindow = (): Effect[] => [{ kind: 'timer.cancel', name: WINDOW_TIMER }];

/**
 * A customer conversation: new → queued → offered → connected → parked → closed, with
 * `reopening` when a returning customer is offered to the last agent first.
 *
 * The conversation decides which offer wins: an agent reservation it did not ask for
 * (a second scheduler offer, a stale retry) is rescinded, so it is never connected twice.
 */
export const conversationMachine = setup({
  types: {
    context: {} as ConversationContext,
    events: {} as ConversationActorEvent,
    input: {} as ConversationInput,
  },
  actions: {
    // Interpreted by the host (see actor/host.ts); never executed by XState itself.
    effects: (_: unknown, _effects: Effect[]) => {},
    // Message times can arrive out of order (provider timestamps vs. our clock): never move back.
    touch: assign({ lastMessageAt: ({ context, event }) => (event.at > context.lastMessageAt ? event.at : context.lastMessageAt) }),
  },
  guards: {
    fromCurrentAgent: ({ context, event }) => 'agentId' in event && event.agentId === context.agentId,
    isCurrentOffer: ({ context, event }) => 'offerId' in event && context.offer?.offerId === event.offerId,
    hasLastAgent: ({ context }) => context.lastAgentId !== null,
  },
}).createMachine({
  id: 'conversation',
  context: ({ input }) => ({ ...input, agentId: null, offer: null, declinedBy: [], enqueuedAt: null, closedAt: null }),
  initial: 'new',
  // What any state does unless it says otherwise.
  on: {
    'customer.message': { actions: 'touch' },
    'offer.reserved': { actions: { type: 'effects', params: rescindStrayOffer } },
    'offer.accepted': { actions: { type: 'effects', params: releaseStrayAcceptance } },
    'agent.message': { actions: { type: 'effects', params: refuseCommand } },
    'agent.close': { actions: { type: 'effects', params: refuseCommand } },
  },
  states: {
    new: {
      on: {
        'customer.message': [
          { guard: 'hasLastAgent', target: 'reopening', actions: 'touch' },
          { target: 'queued', actions: 'touch' },
        ],
      },
    },
    /** Offered to the last agent first; anyone else only if they can't take it. */
    reopening: {
      entry: [
        assign({ offer: ({ context }) => ({ offerId: randomUUID(), agentId: context.lastAgentId as string }) }),
        { type: 'effects', params: requestLastAgent },
      ],
      on: {
        'offer.reserved': [
          { guard: 'isCurrentOffer', target: 'offered' },
          { actions: { type: 'effects', params: rescindStrayOffer } },
        ],
        'offer.declined': { guard: 'isCurrentOffer', target: 'queued', actions: assign({ offer: null }) },
      },
    },
    /** Waiting for the queue's scheduler; the scheduler sends offers to agents directly. */
    queued: {
      entry: assign({ enqueuedAt: ({ context, event }) => context.enqueuedAt ?? event.at }),
      on: {
        'offer.reserved': {
          target: 'offered',
          actions: assign({ offer: ({ event }) => ({ offerId: event.offerId, agentId: event.agentId }) }),
        },
        'offer.declined': {
          guard: ({ event }) => event.reason === 'rejected' || event.reason === 'timeout',
          actions: assign({ declinedBy: ({ context, event }) => [...new Set([...context.declinedBy, event.agentId])] }),
        },
      },
    },
    offered: {
      on: {
        'offer.accepted': [
          {
            guard: 'isCurrentOffer',
            target: 'connected',
            actions: [
              assign({
                agentId: ({ event }) => event.agentId,
                lastAgentId: ({ event }) => event.agentId,
                offer: null,
                declinedBy: [],
                enqueuedAt: null,
              }),
              { type: 'effects', params: confirmAssignment },
            ],
          },
          { actions: { type: 'effects', params: releaseStrayAcceptance } },
        ],
        'offer.declined': {
          guard: 'isCurrentOffer',
          target: 'queued',
          actions: assign({
            offer: null,
            declinedBy: ({ context, event }) =>
              event.reason === 'rejected' || event.reason === 'timeout'
                ? [...new Set([...context.declinedBy, event.agentId])]
                : context.declinedBy,
          }),
        },
      },
    },
    connected: {
      on: {
        'customer.message': { actions: ['touch', { type: 'effects', params: forwardToAgent }] },
        'agent.message': {
          guard: 'fromCurrentAgent',
          actions: ['touch', { type: 'effects', params: sendAgentMessage }],
        },
        'agent.close': {
          guard: 'fromCurrentAgent',
          target: 'parked',
          actions: [{ type: 'effects', params: parkWithAgent }, assign({ agentId: null })],
        },
      },
    },
    /** The agent is done; the customer may come back within the threading window. */
    parked: {
      entry: { type: 'effects', params: armWindow },
      on: {
        'customer.message': [
          { guard: 'hasLastAgent', target: 'reopening', actions: ['touch', { type: 'effects', params: cancelWindow }] },
          { target: 'queued', actions: ['touch', { type: 'effects', params: cancelWindow }] },
        ],
        'window.expired': { target: 'closed', actions: assign({ closedAt: ({ event }) => event.at }) },
      },
    },
    closed: {},
  },
});

export type ConversationState = 'new' | 'reopening' | 'queued' | 'offered' | 'connected' | 'parked' | 'closed';
