import { and, assign, setup } from 'xstate';
import type { BotAnswer, OutboundMessage, TranscriptMessage } from '../contract/index.ts';
import type { Effect } from '../runtime/index.ts';
import type { ConversationContext, ConversationInput, RoutingTarget } from './context.ts';
import type { ConversationActorEvent } from './events.ts';
import type { QueuePolicy } from './policy.ts';

type Args = { context: ConversationContext; event: ConversationActorEvent };
type Of<T extends ConversationActorEvent['type']> = Extract<ConversationActorEvent, { type: T }>;

const WINDOW_TIMER = 'threading-window';
const TARGET_TIMER = 'routing-target';
const RING_TIMER = 'bullseye';

// Effect builders: pure functions of context and event, named for what they ask.

const rescindStrayOffer = ({ event }: Args): Effect[] => {
  const e = event as Of<'offer.reserved'>;
  return [{ kind: 'send', to: { kind: 'agent', id: e.agentId }, event: { type: 'offer.rescind', at: e.at, offerId: e.offerId } }];
};

const releaseStrayAcceptance = ({ context, event }: Args): Effect[] => {
  const e = event as Of<'offer.accepted'>;
  return [
    { kind: 'send', to: { kind: 'agent', id: e.agentId }, event: { type: 'assignment.release', at: e.at, conversationId: context.id, stray: true } },
    ...(e.commandId ? [{ kind: 'reply' as const, agentId: e.agentId, commandId: e.commandId, error: 'offerNotFound' as const }] : []),
  ];
};

const confirmAssignment = ({ context, event }: Args): Effect[] => {
  const e = event as Of<'offer.accepted'>;
  return [
    { kind: 'notify', agentId: e.agentId, event: { type: 'conversation.assigned', conversationId: context.id, offerId: e.offerId } },
    ...(e.commandId ? [{ kind: 'reply' as const, agentId: e.agentId, commandId: e.commandId }] : []),
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

interface OutgoingBody {
  id: string;
  at: string;
  agentId?: string | undefined;
  text?: string | undefined;
  attachments?: TranscriptMessage['attachments'];
  content?: TranscriptMessage['content'];
  /** WhatsApp: sent instead of the text, which the history keeps (what the customer reads). */
  template?: OutboundMessage['template'];
}

/** A message for the customer: stored in the history and delivered through the outbound stream. */
function outgoing(context: ConversationContext, m: OutgoingBody): Effect[] {
  const body = {
    ...(m.text !== undefined && { text: m.text }),
    ...(m.attachments && { attachments: m.attachments }),
    ...(m.content && { content: m.content }),
  };
  const message: TranscriptMessage = {
    id: m.id,
    conversationId: context.id,
    direction: 'outbound',
    channel: context.channel,
    ...(m.agentId !== undefined && { agentId: m.agentId }),
    sentAt: m.at,
    ...body,
  };
  const outbound: OutboundMessage = {
    version: 1,
    id: m.id,
    tenant: context.tenant,
    channel: context.channel,
    conversationId: context.id,
    to: { id: context.customer.id, idType: context.customer.idType },
    ...(m.agentId !== undefined && { agentId: m.agentId }),
    timestamp: m.at,
    ...body,
    ...(m.template && { template: m.template }),
  };
  return [
    { kind: 'message.store', message, customerId: context.customerId },
    { kind: 'deliver', message: outbound },
  ];
}

const sendAgentMessage = ({ context, event }: Args): Effect[] => {
  const e = event as Of<'agent.message'>;
  return [...outgoing(context, { ...e, id: e.commandId }), { kind: 'reply', agentId: e.agentId, commandId: e.commandId }];
};

/** An agent starts the conversation: the agent actor counts it against its capacity, or refuses. */
const askAgentForSlot = ({ context, event }: Args): Effect[] => {
  const e = event as Of<'agent.start'>;
  // No queue: an agent-started conversation was never offered, so queue figures (offered, answered, service level) leave it out.
  return [
    {
      kind: 'send',
      to: { kind: 'agent', id: e.agentId },
      event: { type: 'assignment.take', at: e.at, conversationId: context.id, assignmentId: e.commandId, mediaType: context.mediaType, queue: null },
    },
  ];
};

/** The agent has the slot: the first message goes out, and the agent's clients learn of the conversation. */
const sendOpening = ({ context, event }: Args): Effect[] => {
  const e = event as Of<'assignment.taken'>;
  const opening = context.opening;
  if (!opening) return [];
  return [
    ...outgoing(context, { id: opening.commandId, at: e.at, agentId: opening.agentId, text: opening.text, template: opening.template }),
    { kind: 'notify', agentId: opening.agentId, event: { type: 'conversation.assigned', conversationId: context.id, offerId: e.assignmentId } },
    { kind: 'reply', agentId: opening.agentId, commandId: opening.commandId },
  ];
};

const refuseOpening = ({ context, event }: Args): Effect[] => {
  const e = event as Of<'assignment.refused'>;
  return context.opening ? [{ kind: 'reply', agentId: context.opening.agentId, commandId: context.opening.commandId, error: e.error }] : [];
};

const BOT_TIMER = 'bot';

/** Hands the customer's message to the bot, with a deadline in case no answer ever comes back. */
const askBot = ({ context, event }: Args): Effect[] => {
  const bot = context.bot;
  if (!bot) return [];
  const e = event as Of<'customer.message'>;
  // The answer normally arrives within the request timeout; the timer covers a router that
  // crashed while waiting for it.
  const deadline = new Date(Date.parse(e.at) + bot.timeoutMs + 5_000).toISOString();
  return [
    {
      kind: 'bot.ask',
      subject: bot.subject,
      timeoutMs: bot.timeoutMs,
      request: {
        version: 1,
        tenant: context.tenant,
        channel: context.channel,
        conversationId: context.id,
        customer: { id: context.customer.id, idType: context.customer.idType, ...(context.customer.name !== undefined && { name: context.customer.name }) },
        message: {
          id: e.message.id,
          sentAt: e.message.sentAt,
          ...(e.message.text !== undefined && { text: e.message.text }),
          ...(e.message.attachments && { attachments: e.message.attachments }),
          ...(e.message.content && { content: e.message.content }),
        },
        attributes: context.attributes,
      },
    },
    { kind: 'timer.arm', name: BOT_TIMER, at: deadline, event: { type: 'bot.failed', at: deadline, reason: 'the bot did not answer' } },
  ];
};

const sendBotReply = ({ context, event }: Args): Effect[] => {
  const e = event as Of<'bot.answered'>;
  const answer = e.answer;
  if (answer.action !== 'reply') return [];
  return [{ kind: 'timer.cancel', name: BOT_TIMER }, ...outgoing(context, { id: e.messageId, at: e.at, text: answer.text, attachments: answer.attachments, content: answer.content })];
};

const cancelBotTimer = (): Effect[] => [{ kind: 'timer.cancel', name: BOT_TIMER }];

const parkWithAgent = ({ context, event }: Args): Effect[] => {
  const e = event as Of<'agent.close'>;
  return [
    ...(e.wrapUpCode && context.assignmentId ? [{ kind: 'assignment.wrap-up' as const, offerId: context.assignmentId, code: e.wrapUpCode }] : []),
    {
      kind: 'send',
      to: { kind: 'agent', id: e.agentId },
      event: { type: 'assignment.release', at: e.at, conversationId: context.id, afterWorkMs: context.policy.wrapUp.afterWorkMs },
    },
    { kind: 'notify', agentId: e.agentId, event: { type: 'conversation.ended', conversationId: context.id, reason: 'closed-by-agent' } },
    { kind: 'reply', agentId: e.agentId, commandId: e.commandId },
  ];
};

/** A close without the wrap-up code the queue requires, or with a code it does not know. */
const refuseWrapUp = ({ event }: Args): Effect[] => {
  const e = event as Of<'agent.close'>;
  return [{ kind: 'reply', agentId: e.agentId, commandId: e.commandId, error: e.wrapUpCode ? 'invalidWrapUpCode' : 'wrapUpRequired' }];
};

const handOver = ({ context, event }: Args): Effect[] => {
  const e = event as Of<'agent.transfer'>;
  return [
    { kind: 'send', to: { kind: 'agent', id: e.agentId }, event: { type: 'assignment.release', at: e.at, conversationId: context.id, afterWorkMs: 0 } },
    { kind: 'notify', agentId: e.agentId, event: { type: 'conversation.ended', conversationId: context.id, reason: 'transferred' } },
    { kind: 'reply', agentId: e.agentId, commandId: e.commandId },
  ];
};

/** Arms the waiting conversation's timers. Re-arming on re-entry gives the same due times (idempotent). */
const armRoutingTimers = ({ context }: Args): Effect[] => {
  const effects: Effect[] = [];
  if (context.target?.until) {
    effects.push({ kind: 'timer.arm', name: TARGET_TIMER, at: context.target.until, event: { type: 'target.expired', at: context.target.until } });
  }
  const waits = context.policy.ringWaitsMs;
  if (context.enqueuedAt && context.ring < waits.length) {
    const elapsed = waits.slice(0, context.ring + 1).reduce((a, b) => a + b, 0);
    const at = new Date(Date.parse(context.enqueuedAt) + elapsed).toISOString();
    effects.push({ kind: 'timer.arm', name: RING_TIMER, at, event: { type: 'ring.advance', at } });
  }
  return effects;
};

/** Cancels the waiting timers that may be armed (a stale one would be ignored anyway; this keeps the table small). */
const cancelRoutingTimers = ({ context }: Args): Effect[] => [
  ...(context.target?.until ? [{ kind: 'timer.cancel' as const, name: TARGET_TIMER }] : []),
  ...(context.policy.ringWaitsMs.length > 0 ? [{ kind: 'timer.cancel' as const, name: RING_TIMER }] : []),
];

/** Withdraws the offer ringing now (its queue is gone): the agent's slot is freed. */
const rescindCurrentOffer = ({ context, event }: Args): Effect[] =>
  context.offer ? [{ kind: 'send', to: { kind: 'agent', id: context.offer.agentId }, event: { type: 'offer.rescind', at: event.at, offerId: context.offer.offerId } }] : [];

/** The queue the conversation moves to from its deleted queue (see `queue.deleted`). */
const fromDeletedQueue = ({ event }: Args) => {
  const to = (event as Of<'queue.deleted'>).to as { queue: string; policy: QueuePolicy };
  // The wait starts over in the new queue, as after an overflow (its rings run from now).
  return { ...freshWait, queue: to.queue, policy: to.policy, offer: null, target: null, enqueuedAt: event.at };
};

const armWindow = ({ context }: Args): Effect[] => {
  const at = new Date(Date.parse(context.lastMessageAt) + context.threadingWindowMs).toISOString();
  return [{ kind: 'timer.arm', name: WINDOW_TIMER, at, event: { type: 'window.expired', at } }];
};

const cancelWindow = (): Effect[] => [{ kind: 'timer.cancel', name: WINDOW_TIMER }];

/**
 * A reply to a campaign that its reply bot answers closes once the customer has been
 * silent for the threading window (the campaign's `replies.noReplyClose`): nobody else
 * would close it. Other bot conversations are unchanged.
 */
const armCampaignSilence = (args: Args): Effect[] => (args.context.campaign === undefined ? [] : armWindow(args));

/** Waits for the last agent first, when the queue's last-agent mode allows it. */
function lastAgentTarget(context: ConversationContext, at: string): RoutingTarget | null {
  const { mode, timeoutMs } = context.policy.lastAgent;
  if (mode === 'none' || !context.lastAgentId || timeoutMs === 0) return null;
  return { agents: [context.lastAgentId], until: new Date(Date.parse(at) + timeoutMs).toISOString(), reason: 'last-agent' };
}

function preferredTarget(context: ConversationContext, at: string): RoutingTarget | null {
  const { preferredAgentTimeoutMs } = context.policy;
  if (context.preferredAgents.length === 0 || preferredAgentTimeoutMs === 0) return null;
  return { agents: context.preferredAgents, until: new Date(Date.parse(at) + preferredAgentTimeoutMs).toISOString(), reason: 'preferred' };
}

/** A fresh wait in the queue: the bullseye starts over, nobody has declined yet. */
const freshWait = { ring: 0, enqueuedAt: null, declinedBy: [] as string[] };

/**
 * A customer conversation: new → (bot →) queued → offered → connected → parked → closed;
 * or, started by an agent, new (or parked) → starting → connected (no queue, no offer).
 *
 * While queued it may wait for particular agents first — its preferred agents, or the
 * last agent when the customer comes back inside the threading window, or the agent it
 * was transferred to — and moves out through the queue's bullseye rings; every wait is a
 * durable timer. The conversation decides which offer wins: an agent reservation it did
 * not ask for (a second scheduler offer, a stale retry) is rescinded, so it is never
 * connected twice.
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
    // `queue.deleted` acts only while the conversation is still in that queue: a repeat, or one sent after it moved, changes nothing.
    inDeletedQueue: ({ context, event }) => event.type === 'queue.deleted' && event.queue === context.queue,
    movesOnFromDeletedQueue: ({ context, event }) => event.type === 'queue.deleted' && event.queue === context.queue && event.to !== null,
    fromCurrentAgent: ({ context, event }) => 'agentId' in event && event.agentId === context.agentId,
    isCurrentOffer: ({ context, event }) => 'offerId' in event && context.offer?.offerId === event.offerId,
    wrapUpMissing: ({ context, event }) => {
      const { codes, required } = context.policy.wrapUp;
      const code = (event as Of<'agent.close'>).wrapUpCode;
      return code === undefined ? required : codes.length > 0 && !codes.includes(code);
    },
  },
}).createMachine({
  id: 'conversation',
  context: ({ input }) => ({
    ...input,
    lastAgentId: null,
    agentId: null,
    assignmentId: null,
    offer: null,
    declinedBy: [],
    enqueuedAt: null,
    closedAt: null,
    ring: 0,
    target: null,
  }),
  initial: 'new',
  // What any state does unless it says otherwise.
  on: {
    'customer.message': { actions: 'touch' },
    'offer.reserved': { actions: { type: 'effects', params: rescindStrayOffer } },
    'offer.accepted': { actions: { type: 'effects', params: releaseStrayAcceptance } },
    'agent.message': { actions: { type: 'effects', params: refuseCommand } },
    'agent.close': { actions: { type: 'effects', params: refuseCommand } },
    'agent.transfer': { actions: { type: 'effects', params: refuseCommand } },
  },
  states: {
    new: {
      on: {
        'agent.start': {
          target: 'starting',
          actions: [
            assign({ opening: ({ event }) => ({ agentId: event.agentId, commandId: event.commandId, text: event.text, ...(event.template && { template: event.template }) }) }),
            { type: 'effects', params: askAgentForSlot },
          ],
        },
        'customer.message': [
          {
            guard: ({ context }) => context.bot !== null,
            target: 'bot',
            actions: ['touch', { type: 'effects', params: askBot }, { type: 'effects', params: armCampaignSilence }],
          },
          {
            target: 'queued',
            actions: ['touch', assign({ target: ({ context, event }) => preferredTarget(context, event.at) })],
          },
        ],
      },
    },
    /** Started by an agent: waits for the agent actor to count it against the agent's capacity. */
    starting: {
      on: {
        'assignment.taken': {
          guard: ({ context, event }) => context.opening?.agentId === event.agentId,
          target: 'connected',
          actions: [
            assign({ agentId: ({ event }) => event.agentId, assignmentId: ({ event }) => event.assignmentId, lastAgentId: ({ event }) => event.agentId }),
            { type: 'effects', params: sendOpening },
            'touch',
            assign({ opening: undefined }),
          ],
        },
        'assignment.refused': [
          {
            // A parked conversation the agent tried to continue goes back to waiting for the customer.
            guard: ({ context, event }) => context.opening?.agentId === event.agentId && context.lastAgentId !== null,
            target: 'parked',
            actions: [{ type: 'effects', params: refuseOpening }, assign({ opening: undefined })],
          },
          {
            guard: ({ context, event }) => context.opening?.agentId === event.agentId,
            target: 'closed',
            actions: [{ type: 'effects', params: refuseOpening }, assign({ opening: undefined, closedAt: ({ event }) => event.at, closeReason: 'notStarted' as const })],
          },
        ],
      },
    },
    /** A bot handles the conversation until it hands it off (or fails to answer). */
    bot: {
      on: {
        'customer.message': { actions: ['touch', { type: 'effects', params: askBot }, { type: 'effects', params: armCampaignSilence }] },
        'window.expired': { target: 'closed', actions: [{ type: 'effects', params: cancelBotTimer }, assign({ closedAt: ({ event }) => event.at })] },
        'bot.answered': [
          {
            guard: ({ event }) => event.answer.action === 'reply',
            actions: [
              { type: 'effects', params: sendBotReply },
              assign({ attributes: ({ context, event }) => ({ ...context.attributes, ...(event.answer.attributes ?? {}) }) }),
            ],
          },
          {
            target: 'queued',
            actions: [
              { type: 'effects', params: cancelBotTimer },
              assign(({ context, event }) => {
                const a: Partial<Extract<BotAnswer, { action: 'handoff' }>> = event.answer.action === 'handoff' ? event.answer : {};
                return {
                  attributes: { ...context.attributes, ...(a.attributes ?? {}) },
                  skills: [...new Set([...context.skills, ...(a.skills ?? [])])],
                  priority: a.priority ?? context.priority,
                  ...(a.queue && event.policy && { queue: a.queue, policy: event.policy }),
                  target: preferredTarget(context, event.at),
                };
              }),
            ],
          },
        ],
        'bot.failed': {
          target: 'queued',
          actions: [{ type: 'effects', params: cancelBotTimer }, assign({ target: ({ context, event }) => preferredTarget(context, event.at) })],
        },
      },
    },
    /** Waiting for the queue's scheduler, which sends offers to agents directly. */
    queued: {
      entry: [assign({ enqueuedAt: ({ context, event }) => context.enqueuedAt ?? event.at }), { type: 'effects', params: armRoutingTimers }],
      on: {
        'offer.reserved': {
          target: 'offered',
          actions: assign({ offer: ({ event }) => ({ offerId: event.offerId, agentId: event.agentId }) }),
        },
        'offer.declined': {
          guard: ({ event }) => event.reason === 'rejected' || event.reason === 'timeout',
          actions: assign({ declinedBy: ({ context, event }) => [...new Set([...context.declinedBy, event.agentId])] }),
        },
        'target.expired': { actions: assign({ target: null }) },
        'ring.advance': [
          {
            // Out of the last ring with somewhere to overflow to: start over in that queue.
            guard: ({ context }) => context.ring + 1 >= context.policy.ringWaitsMs.length && context.policy.whenExhausted === 'overflow' && context.policy.overflowQueue !== null,
            target: 'queued',
            reenter: true,
            // The wait starts over in the new queue (its rings run from now).
            actions: assign(({ context, event }) => ({
              queue: context.policy.overflowQueue as string,
              // The overflow queue's own rules when known; else these, without further rings.
              policy: context.policy.overflowPolicy ?? { ...context.policy, ringWaitsMs: [], overflowQueue: null, overflowPolicy: null },
              ring: 0,
              target: null,
              enqueuedAt: event.at,
            })),
          },
          { target: 'queued', reenter: true, actions: assign({ ring: ({ context }) => context.ring + 1 }) },
        ],
        'queue.deleted': [
          {
            guard: 'movesOnFromDeletedQueue',
            target: 'queued',
            reenter: true,
            actions: [{ type: 'effects', params: cancelRoutingTimers }, { type: 'effects', params: rescindCurrentOffer }, assign(fromDeletedQueue)],
          },
          {
            guard: 'inDeletedQueue',
            target: 'closed',
            actions: [
              { type: 'effects', params: cancelRoutingTimers },
              { type: 'effects', params: rescindCurrentOffer },
              assign({ offer: null, target: null, closedAt: ({ event }) => event.at, closeReason: 'queueDeleted' as const }),
            ],
          },
        ],
      },
    },
    offered: {
      on: {
        'offer.accepted': [
          {
            guard: 'isCurrentOffer',
            target: 'connected',
            actions: [
              { type: 'effects', params: cancelRoutingTimers },
              assign({
                agentId: ({ event }) => event.agentId,
                assignmentId: ({ event }) => event.offerId,
                lastAgentId: ({ event }) => event.agentId,
                offer: null,
                target: null,
                transferredBy: undefined,
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
        'queue.deleted': [
          {
            guard: 'movesOnFromDeletedQueue',
            target: 'queued',
            reenter: true,
            actions: [{ type: 'effects', params: cancelRoutingTimers }, { type: 'effects', params: rescindCurrentOffer }, assign(fromDeletedQueue)],
          },
          {
            guard: 'inDeletedQueue',
            target: 'closed',
            actions: [
              { type: 'effects', params: cancelRoutingTimers },
              { type: 'effects', params: rescindCurrentOffer },
              assign({ offer: null, target: null, closedAt: ({ event }) => event.at, closeReason: 'queueDeleted' as const }),
            ],
          },
        ],
      },
    },
    connected: {
      on: {
        'customer.message': { actions: ['touch', { type: 'effects', params: forwardToAgent }] },
        'agent.message': {
          guard: 'fromCurrentAgent',
          actions: ['touch', { type: 'effects', params: sendAgentMessage }],
        },
        'agent.close': [
          { guard: and(['fromCurrentAgent', 'wrapUpMissing']), actions: { type: 'effects', params: refuseWrapUp } },
          {
            guard: 'fromCurrentAgent',
            target: 'parked',
            actions: [{ type: 'effects', params: parkWithAgent }, assign({ agentId: null, assignmentId: null })],
          },
        ],
        'agent.transfer': {
          guard: 'fromCurrentAgent',
          target: 'queued',
          actions: [
            { type: 'effects', params: handOver },
            assign(({ event }) => {
              const to = event.to;
              const base = { ...freshWait, agentId: null, assignmentId: null, transferredBy: { agentId: event.agentId, ...(event.note && { note: event.note }) } };
              return 'queue' in to
                ? { ...base, queue: to.queue, policy: to.policy, target: null }
                : { ...base, target: { agents: [to.agent], until: null, reason: 'transfer' as const } };
            }),
          ],
        },
      },
    },
    /** The agent is done; the customer may come back within the threading window. */
    parked: {
      entry: { type: 'effects', params: armWindow },
      on: {
        // The agent writes to a customer whose conversation is parked: it continues, in that agent's hands.
        'agent.start': {
          target: 'starting',
          actions: [
            { type: 'effects', params: cancelWindow },
            assign({ opening: ({ event }) => ({ agentId: event.agentId, commandId: event.commandId, text: event.text, ...(event.template && { template: event.template }) }) }),
            { type: 'effects', params: askAgentForSlot },
          ],
        },
        'customer.message': {
          target: 'queued',
          actions: [
            'touch',
            { type: 'effects', params: cancelWindow },
            assign(({ context, event }) => ({ ...freshWait, target: lastAgentTarget(context, event.at) })),
          ],
        },
        'window.expired': { target: 'closed', actions: assign({ closedAt: ({ event }) => event.at }) },
      },
    },
    closed: {
      on: {
        // Only an e-mail reply to the conversation's thread reaches a closed conversation
        // (store/thread-lookup.ts): it reopens, back to its last agent first.
        'customer.message': {
          guard: ({ context }) => context.closeReason === undefined,
          target: 'queued',
          actions: ['touch', assign(({ context, event }) => ({ ...freshWait, closedAt: null, target: lastAgentTarget(context, event.at) }))],
        },
      },
    },
  },
});

export type ConversationState = 'new' | 'starting' | 'bot' | 'queued' | 'offered' | 'connected' | 'parked' | 'closed';
