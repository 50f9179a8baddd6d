import type { ChannelType, MediaType } from './media.ts';
import type { Presence } from './agent-command.ts';
import type { Attachment, RichContent } from './rich-content.ts';

/**
 * Events Parley publishes for one agent on `parley.v1.agent.events.<tenant>.<agentId>`
 * (core NATS: a client that reconnects reads its state again over HTTP).
 */
interface Base {
  version: 1;
  tenant: string;
  agentId: string;
  at: string;
}

export interface CommandResultEvent extends Base {
  type: 'command.result';
  commandId: string;
  ok: boolean;
  /** Set when `ok` is false: a code from the error catalog and a human message. */
  error?: { code: string; message: string };
}

export interface AgentStateEvent extends Base {
  type: 'agent.state';
  presence: Presence;
  capacity: Partial<Record<MediaType, { max: number; used: number }>>;
}

/** Who handed a conversation over by a transfer, and what they wrote for the next agent. */
export interface TransferSource {
  agentId: string;
  /** The transfer's note (`conversation.transfer`), when given. */
  note?: string;
}

export interface OfferCreatedEvent extends Base {
  type: 'offer.created';
  offerId: string;
  conversationId: string;
  channel: string;
  channelType: ChannelType;
  mediaType: MediaType;
  customerId: string;
  customerName?: string;
  expiresAt: string;
  /** Set when the conversation was transferred (to this agent or their queue) and not answered since. */
  transferredBy?: TransferSource;
}

export interface OfferRevokedEvent extends Base {
  type: 'offer.revoked';
  offerId: string;
  conversationId: string;
  reason: 'timeout' | 'rejected' | 'rescinded' | 'offline';
}

export interface ConversationAssignedEvent extends Base {
  type: 'conversation.assigned';
  conversationId: string;
  offerId: string;
}

export interface TranscriptMessage {
  id: string;
  conversationId: string;
  direction: 'inbound' | 'outbound';
  channel: string;
  agentId?: string;
  text?: string;
  attachments?: Attachment[];
  content?: RichContent[];
  sentAt: string;
}

export interface ConversationMessageEvent extends Base {
  type: 'conversation.message';
  conversationId: string;
  message: TranscriptMessage;
}

export interface ConversationEndedEvent extends Base {
  type: 'conversation.ended';
  conversationId: string;
  reason: 'closed-by-agent' | 'transferred' | 'window-expired';
}

/** The customer of a web-messaging conversation started or stopped typing. */
export interface ConversationTypingEvent extends Base {
  type: 'conversation.typing';
  conversationId: string;
  typing: boolean;
}

export type AgentEvent =
  | CommandResultEvent
  | AgentStateEvent
  | OfferCreatedEvent
  | OfferRevokedEvent
  | ConversationAssignedEvent
  | ConversationMessageEvent
  | ConversationEndedEvent
  | ConversationTypingEvent;
