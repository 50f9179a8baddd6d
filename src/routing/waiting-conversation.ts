import type { ChannelType, MediaType, TransferSource } from '../contract/index.ts';
import type { ConversationView, RoutingTarget } from '../conversation/index.ts';

/** A conversation in a queue's waiting list. */
export interface WaitingConversation {
  id: string;
  tenant: string;
  queue: string;
  skills: readonly string[];
  /** The language an agent must speak (primary tag), if the inbound flow set one. */
  language: string | null;
  mediaType: MediaType;
  priority: number;
  enqueuedAt: number;
  declinedBy: readonly string[];
  channel: string;
  channelType: ChannelType;
  customerId: string;
  customerName: string | undefined;
  alertingTimeoutMs: number;
  /** The bullseye ring it waits in (see the queue's rings). */
  ring: number;
  /** Agents it waits for first (preferred, last agent, transfer), until a time. */
  target: RoutingTarget | null;
  /** Who transferred it, for the offers' `transferredBy`. */
  transferredBy?: TransferSource | undefined;
}

/** A conversation's waiting-list entry, from its context or its state note's view. */
export function waitingOf(ctx: ConversationView): WaitingConversation {
  return {
    id: ctx.id,
    tenant: ctx.tenant,
    queue: ctx.queue,
    skills: ctx.skills,
    language: ctx.language,
    mediaType: ctx.mediaType,
    priority: ctx.priority,
    enqueuedAt: Date.parse(ctx.enqueuedAt ?? ctx.lastMessageAt),
    declinedBy: ctx.declinedBy,
    channel: ctx.channel,
    channelType: ctx.channelType,
    customerId: ctx.customerId,
    customerName: ctx.customer.name,
    alertingTimeoutMs: ctx.policy.alertingTimeoutMs,
    ring: ctx.ring,
    target: ctx.target,
    transferredBy: ctx.transferredBy,
  };
}
