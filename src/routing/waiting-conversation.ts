import type { ChannelType, MediaType } from '../contract/index.ts';
import type { ConversationContext } from '../conversation/context.ts';

/** A conversation in a queue's waiting list. */
export interface WaitingConversation {
  id: string;
  tenant: string;
  queue: string;
  skills: readonly string[];
  mediaType: MediaType;
  priority: number;
  enqueuedAt: number;
  declinedBy: readonly string[];
  channel: string;
  channelType: ChannelType;
  customerId: string;
  customerName: string | undefined;
  alertingTimeoutMs: number;
}

export function waitingOf(ctx: ConversationContext): WaitingConversation {
  return {
    id: ctx.id,
    tenant: ctx.tenant,
    queue: ctx.queue,
    skills: ctx.skills,
    mediaType: ctx.mediaType,
    priority: ctx.priority,
    enqueuedAt: Date.parse(ctx.enqueuedAt ?? ctx.lastMessageAt),
    declinedBy: ctx.declinedBy,
    channel: ctx.channel,
    channelType: ctx.channelType,
    customerId: ctx.customerId,
    customerName: ctx.customer.name,
    alertingTimeoutMs: ctx.alertingTimeoutMs,
  };
}

/** Higher priority first, then the one waiting longest. */
export function byUrgency(a: WaitingConversation, b: WaitingConversation): number {
  return b.priority - a.priority || a.enqueuedAt - b.enqueuedAt || (a.id < b.id ? -1 : 1);
}
