import type { ChannelType, MediaType, Presence } from '../contract/index.ts';

export interface PendingOffer {
  offerId: string;
  conversationId: string;
  channel: string;
  channelType: ChannelType;
  customerId: string;
  customerName?: string | undefined;
  mediaType: MediaType;
  queue: string | null;
  offeredAt: string;
  expiresAt: string;
}

export interface ActiveConversation {
  conversationId: string;
  offerId: string;
  mediaType: MediaType;
  since: string;
}

/** The agent actor's context: plain JSON, persisted in `agents.snapshot`. */
export interface AgentContext {
  tenant: string;
  id: string;
  name: string;
  skills: string[];
  /** Conversations at once, per media type. */
  capacity: Partial<Record<MediaType, number>>;
  presence: Presence;
  /** Offers ringing now: they hold capacity until answered. */
  offers: PendingOffer[];
  active: ActiveConversation[];
  /**
   * When the agent last started being idle for routing purposes: became available,
   * accepted an offer or finished a conversation. Longest idle = oldest value.
   */
  lastActivityAt: string;
}

/** Slots in use for a media type: ringing offers count, so a race can never over-assign. */
export function usedCapacity(ctx: AgentContext, media: MediaType): number {
  return (
    ctx.offers.filter((o) => o.mediaType === media).length + ctx.active.filter((a) => a.mediaType === media).length
  );
}

export function freeCapacity(ctx: AgentContext, media: MediaType): number {
  return Math.max(0, (ctx.capacity[media] ?? 0) - usedCapacity(ctx, media));
}
