import type { AgentProfile, ChannelType, MediaType, Presence, TransferSource } from '../contract/index.ts';

/** The profile an admin sets (ConfigureAgent in the contract, its type derived from the schema); optional fields take their defaults. */
export type { AgentProfile } from '../contract/index.ts';

/** Why the scheduler chose this agent, stored with the assignment for explainability. */
export interface OfferReason {
  method: string;
  candidates: number;
  score?: number;
  affinity?: 'last-agent';
}

export interface OfferRequest {
  type: 'offer.request';
  at: string;
  offerId: string;
  conversationId: string;
  mediaType: MediaType;
  queue: string | null;
  channel: string;
  channelType: ChannelType;
  customerId: string;
  customerName?: string | undefined;
  timeoutMs: number;
  reason: OfferReason;
  /** The conversation was transferred by this agent (with their note). */
  transferredBy?: TransferSource | undefined;
}

/** Every event carries `at`, the host's clock, so transitions stay pure and replayable. */
export type AgentActorEvent =
  | ({ type: 'agent.configure'; at: string; commandId: string } & AgentProfile)
  | { type: 'presence.set'; at: string; commandId: string; presence: Presence }
  | OfferRequest
  | { type: 'offer.accept'; at: string; commandId: string; offerId: string }
  | { type: 'offer.reject'; at: string; commandId: string; offerId: string }
  | { type: 'offer.timeout'; at: string; offerId: string }
  | { type: 'offer.rescind'; at: string; offerId: string }
  /** The conversation ended for this agent; the slot stays busy `afterWorkMs` longer (after-conversation work). */
  /** `stray`: the conversation never took this acceptance (another agent's came first); the assignment did not happen. */
  | { type: 'assignment.release'; at: string; conversationId: string; afterWorkMs?: number | undefined; stray?: boolean }
  | { type: 'after-work.done'; at: string; conversationId: string }
  /** A conversation this agent started (outbound): it takes a slot at once, or is refused when none is free. */
  | { type: 'assignment.take'; at: string; conversationId: string; assignmentId: string; mediaType: MediaType; queue: string | null };
