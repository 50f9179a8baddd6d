import type { ConversationContext } from './context.ts';
import type { QueuePolicy } from './policy.ts';

/**
 * What the other routers read of a conversation's committed state (its state note, see
 * `ActorStateFeed`): its waiting-list entry, its key (channel and customer, for its
 * partition) and where it goes if its queue is deleted. Its context, less what only the
 * actor reads: the policy with its overflow's, the attributes, the bot, the offer. Every
 * router receives every note, so its size is paid once per router (docs/cluster.md §16).
 * The same fields as the context, so a view reads as a context does (a router of the
 * release before, during a rolling upgrade, reads it as the context it expects).
 */
export type ConversationView = Pick<
  ConversationContext,
  | 'id'
  | 'tenant'
  | 'channel'
  | 'channelType'
  | 'mediaType'
  | 'customerId'
  | 'customer'
  | 'queue'
  | 'skills'
  | 'language'
  | 'priority'
  | 'ring'
  | 'target'
  | 'declinedBy'
  | 'lastMessageAt'
  | 'enqueuedAt'
  | 'transferredBy'
> & { policy: Pick<QueuePolicy, 'alertingTimeoutMs' | 'overflowQueue'> };

export function conversationView(ctx: ConversationContext): ConversationView {
  return {
    id: ctx.id,
    tenant: ctx.tenant,
    channel: ctx.channel,
    channelType: ctx.channelType,
    mediaType: ctx.mediaType,
    customerId: ctx.customerId,
    customer: ctx.customer,
    queue: ctx.queue,
    skills: ctx.skills,
    language: ctx.language,
    priority: ctx.priority,
    ring: ctx.ring,
    target: ctx.target,
    declinedBy: ctx.declinedBy,
    lastMessageAt: ctx.lastMessageAt,
    enqueuedAt: ctx.enqueuedAt,
    ...(ctx.transferredBy !== undefined && { transferredBy: ctx.transferredBy }),
    policy: { alertingTimeoutMs: ctx.policy.alertingTimeoutMs, overflowQueue: ctx.policy.overflowQueue },
  };
}
