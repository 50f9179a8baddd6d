import type { ActiveConversation, PendingOffer } from '../agent/index.ts';
import type { MediaType, Presence, TranscriptMessage } from '../contract/index.ts';

/**
 * The JSON bodies the gateway answers with: shared by the server, which builds them, and
 * `ParleyClient`, which returns them. Timestamps are ISO-8601 strings.
 */

/** `GET /v1/agents/:agentId`. */
export interface AgentView {
  id: string;
  name: string;
  skills: string[];
  presence: Presence;
  /** When the presence last changed (time in state); null for an agent whose snapshot predates it. */
  presenceSince: string | null;
  /** Per media type: the configured maximum and the slots in use (ringing offers + active). */
  capacity: Partial<Record<MediaType, { max: number; used: number }>>;
  /** Offers ringing now. */
  offers: PendingOffer[];
  /** Conversations the agent is handling now. */
  active: ActiveConversation[];
}

/**
 * The supervisor stream's frames about agents (with `include=agents`), beside the queue
 * frames (`SupervisorFrame`): the board's rows, live, on one socket for the tenant.
 */
export type AgentBoardFrame =
  | { type: 'agents.snapshot'; at: string; agents: AgentView[] }
  | { type: 'agent.view'; at: string; agent: AgentView }
  | { type: 'agent.removed'; at: string; agentId: string };

/** `GET /v1/conversations/:id`. */
export interface ConversationView {
  id: string;
  channel: string;
  state: string;
  queue: string | null;
  agentId: string | null;
  customerId: string;
  createdAt: string;
  lastMessageAt: string;
  closedAt: string | null;
  /**
   * Set when the customer opted out (STOP, the API…) of this tenant's messages: the agent's
   * replies will be refused (`RecipientOptedOut`). `channel` is where they opted out.
   */
  optedOut: { since: string; channel: string | null } | null;
  /** The campaign the customer replied to, when the conversation is a campaign reply. */
  campaign: string | null;
}

/** One offer of a conversation to an agent, with why that agent was chosen. */
export interface AssignmentView {
  offerId: string;
  agentId: string;
  queue: string | null;
  /** offered, accepted, rejected, timeout, rescinded, declined, ended */
  state: string;
  offeredAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  wrapUpCode: string | null;
  /** The routing decision: method, candidates considered, the winner's score (and affinity, when a wait for particular agents chose it). */
  reason: unknown;
}

/** One message of a customer's history; outbound ones say what became of them. */
export interface HistoryMessage extends TranscriptMessage {
  /**
   * The provider's own id of the message (the inbound envelope's `messageId`, e.g. a
   * WhatsApp `wamid`), to reconcile with the provider; absent when the channel gave none.
   */
  providerMessageId?: string;
  /** `sent`, `delivered`, `read` or `failed`, once a receipt arrived (outbound only). */
  deliveryStatus?: string;
  /** Why delivery failed, when the channel said (outbound only). */
  deliveryReason?: string;
}

/** `GET /v1/conversations/:id/history`: every message of the customer, on every channel. */
export interface HistoryView {
  customerId: string;
  /** Ordered by `sentAt`, then by when Parley stored them. */
  messages: HistoryMessage[];
}

/** The answer to a command the router carried out. */
export interface CommandAccepted {
  commandId: string;
}

/** `POST /v1/conversations/:id/messages`: the id the router stored the message under. */
export interface SentMessage {
  messageId: string;
}

/** `POST /v1/conversations`'s answer: the new conversation, and its first message. */
export interface StartedConversation {
  conversationId: string;
  messageId: string;
}

/** `GET /healthz` and a successful `GET /readyz`. */
export interface HealthView {
  status: 'ok';
}
