import type { ChannelType, IdType, MediaType, OutboundMessage, TransferSource } from '../contract/index.ts';
import type { QueuePolicy } from './policy.ts';

/** A WhatsApp template as the outbound message carries it (name, language, Cloud API components). */
export type OpeningTemplate = NonNullable<OutboundMessage['template']>;

/** Agents a conversation waits for before anyone else may take it. */
export interface RoutingTarget {
  agents: string[];
  /** When the wait ends (a durable timer clears the target); null: until answered. */
  until: string | null;
  reason: 'preferred' | 'last-agent' | 'transfer';
}

/** The conversation actor's context: plain JSON, persisted in `conversations.snapshot`. */
export interface ConversationContext {
  id: string;
  tenant: string;
  channel: string;
  channelType: ChannelType;
  mediaType: MediaType;
  customerId: string;
  customer: { id: string; idType: IdType; name?: string | undefined };
  queue: string;
  /** Skills the inbound flow added (the queue's own skills are read live). */
  skills: string[];
  /** The language an agent must speak (primary tag), when the inbound flow set one. */
  language: string | null;
  priority: number;
  preferredAgents: string[];
  threadingWindowMs: number;
  /** The channel's bot, which handles the conversation first, if any. */
  bot: { subject: string; timeoutMs: number } | null;
  /** What the bot collected, handed to the agent. */
  attributes: Record<string, string>;
  policy: QueuePolicy;
  /** The bullseye ring it waits in: 0 first; the rings' count or more once exhausted. */
  ring: number;
  target: RoutingTarget | null;
  /** The agent handling it now (connected), and the offer that made it so. */
  agentId: string | null;
  assignmentId: string | null;
  /** The agent who handled it last: a returning customer goes back to them when possible. */
  lastAgentId: string | null;
  /** The offer ringing now. */
  offer: { offerId: string; agentId: string } | null;
  /** Agents who let it go (rejected, timed out): tried last. */
  declinedBy: string[];
  lastMessageAt: string;
  /** When it started waiting in its current queue: the order of the waiting list and the bullseye clock. */
  enqueuedAt: string | null;
  closedAt: string | null;
  /** The queue its inbound flow chose that did not exist, when it went to its channel's queue instead. */
  fallbackFrom?: string | undefined;
  /** The campaign this conversation replies to (`spec.replies` of that Campaign), when it does. */
  campaign?: string | undefined;
  /** Why it closed, when not by its threading window: `queueDeleted` (its queue was deleted with nowhere to go), `notStarted` (the agent who started it had no free slot). */
  closeReason?: 'queueDeleted' | 'notStarted' | undefined;
  /** Who transferred it, until an agent answers: each offer meanwhile says so. */
  transferredBy?: TransferSource | undefined;
  /** An agent-started conversation waiting for the agent's slot: its first message, sent once the slot is taken (a WhatsApp template instead of the text, which the history keeps). */
  opening?: { agentId: string; commandId: string; text: string; template?: OpeningTemplate | undefined } | undefined;
}

export type ConversationInput = Omit<
  ConversationContext,
  'agentId' | 'assignmentId' | 'offer' | 'declinedBy' | 'enqueuedAt' | 'closedAt' | 'closeReason' | 'ring' | 'target' | 'lastAgentId'
>;
