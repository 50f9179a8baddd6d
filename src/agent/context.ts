import type { ChannelType, MediaType, Presence, TransferSource } from '../contract/index.ts';
import { MediaTypes } from '../contract/index.ts';

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
  /** Who transferred the conversation, with their note (see the `offer.created` event). */
  transferredBy?: TransferSource | undefined;
}

export interface ActiveConversation {
  conversationId: string;
  offerId: string;
  mediaType: MediaType;
  since: string;
  /** Set once the interaction ended: after-conversation work holds the slot until then. */
  afterWorkUntil?: string;
}

/** The agent actor's context: plain JSON, persisted in `agents.snapshot`. */
export interface AgentContext {
  tenant: string;
  id: string;
  name: string;
  skills: string[];
  /** Proficiency 1–5 per skill (skills not rated here count as DEFAULT_PROFICIENCY). */
  proficiency: Record<string, number>;
  languages: string[];
  labels: Record<string, string>;
  /** Conversations at once, per media type. */
  capacity: Partial<Record<MediaType, number>>;
  /** While busy on the key media type, the listed ones may still be offered. */
  interruptibleBy: Partial<Record<MediaType, MediaType[]>>;
  autoAccept: boolean;
  /** Missed offers in a row after which the agent is set away; 0 never. */
  awayAfterMissedOffers: number;
  /** Offers missed in a row so far. */
  missedOffers: number;
  presence: Presence;
  /**
   * When `presence` last changed (time in state on the supervisor's board). Absent in
   * snapshots written before it was kept.
   */
  presenceSince?: string;
  /** Offers ringing now: they hold capacity until answered. */
  offers: PendingOffer[];
  active: ActiveConversation[];
  /**
   * When the agent last started being idle for routing purposes: became available,
   * accepted an offer or finished a conversation. Longest idle = oldest value.
   */
  lastActivityAt: string;
  /** When the agent last accepted a conversation (rotation routing). */
  lastAssignedAt: string;
}

export const DEFAULT_PROFICIENCY = 3;

/** Messaging types mix; e-mail may be interrupted by messaging (Genesys' default). */
export const DEFAULT_INTERRUPTIBLE_BY: Partial<Record<MediaType, MediaType[]>> = {
  message: ['sms', 'webchat'],
  sms: ['message', 'webchat'],
  webchat: ['message', 'sms'],
  email: ['message', 'sms', 'webchat'],
};

/** Slots in use for a media type: ringing offers count, so a race can never over-assign. */
export function usedCapacity(ctx: Pick<AgentContext, 'offers' | 'active'>, media: MediaType): number {
  return (
    ctx.offers.filter((o) => o.mediaType === media).length + ctx.active.filter((a) => a.mediaType === media).length
  );
}

export function freeCapacity(ctx: AgentContext, media: MediaType): number {
  return Math.max(0, (ctx.capacity[media] ?? 0) - usedCapacity(ctx, media));
}

/**
 * How many more conversations of this media type the agent can be offered now: its free
 * slots, or none when it is busy on another media type that this one may not interrupt.
 */
export function offerableCapacity(ctx: AgentContext, media: MediaType): number {
  const free = freeCapacity(ctx, media);
  if (free === 0) return 0;
  for (const busy of MediaTypes) {
    if (busy === media || usedCapacity(ctx, busy) === 0) continue;
    if (!(ctx.interruptibleBy[busy] ?? []).includes(media)) return 0;
  }
  return free;
}

/** Share of the agent's slots in use, over every media type it handles (0–1). */
export function utilization(ctx: AgentContext): number {
  let used = 0;
  let max = 0;
  for (const media of MediaTypes) {
    used += usedCapacity(ctx, media);
    max += ctx.capacity[media] ?? 0;
  }
  return max === 0 ? 1 : used / max;
}
