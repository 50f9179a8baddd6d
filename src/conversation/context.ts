import type { ChannelType, IdType, MediaType } from '../contract/index.ts';

/** The conversation actor's context: plain JSON, persisted in `conversations.snapshot`. */
export interface ConversationContext {
  id: string;
  tenant: string;
  channel: string;
  channelType: ChannelType;
  mediaType: MediaType;
  customerId: string;
  customer: { id: string; idType: IdType; name?: string | undefined };
  /** Routing, as decided by the channel's inbound flow on the first message. */
  queue: string;
  skills: string[];
  /** The language an agent must speak (primary tag), when the inbound flow set one. */
  language: string | null;
  priority: number;
  threadingWindowMs: number;
  alertingTimeoutMs: number;
  /** The agent handling it now (connected). */
  agentId: string | null;
  /** The agent who handled it last: a returning customer goes back to them when possible. */
  lastAgentId: string | null;
  /** The offer ringing now. */
  offer: { offerId: string; agentId: string } | null;
  /** Agents who declined it (rejected, timed out): not offered again. */
  declinedBy: string[];
  lastMessageAt: string;
  /** When it last started waiting in the queue: the order of the waiting list. */
  enqueuedAt: string | null;
  closedAt: string | null;
}

export type ConversationInput = Omit<
  ConversationContext,
  'agentId' | 'offer' | 'declinedBy' | 'enqueuedAt' | 'closedAt'
> & { lastAgentId: string | null };
