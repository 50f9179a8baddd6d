import type { Kysely } from 'kysely';
import type { ConfigRegistry } from '../config/index.ts';
import type { ConversationContext, ConversationView } from '../conversation/index.ts';
import type { ConversationActorEvent } from '../conversation/index.ts';
import { policyOf } from '../conversation/index.ts';
import type { SendToParley } from './actor-addresses.ts';
import type { Database } from '../store/index.ts';
import type { Logger } from '../observability/index.ts';

/** What became of a conversation of a deleted queue, or of a new one whose queue is missing (`parley_queue_fallbacks_total`). */
export const FallbackOutcomes = {
  /** Moved to the deleted queue's overflow queue. */
  Overflow: 'overflow',
  /** Moved to its channel's queue. */
  ChannelQueue: 'channel-queue',
  /** Closed with reason `queueDeleted`: no overflow queue, no channel queue to go to. */
  Closed: 'closed',
  /** A new conversation waits in a queue that does not exist (never created): stored, not offered. */
  Unrouted: 'unrouted',
} as const;
export type FallbackOutcome = (typeof FallbackOutcomes)[keyof typeof FallbackOutcomes];

/**
 * Where a conversation of the deleted queue `context.queue` goes, by one rule (the same on
 * every router): the deleted queue's overflow queue if it still exists, else its channel's
 * queue if that exists and is another queue, else nowhere (it closes, reason `queueDeleted`).
 */
export function queueDeletedEvent(config: ConfigRegistry, context: ConversationView, at: string): Extract<ConversationActorEvent, { type: 'queue.deleted' }> {
  const { tenant, queue } = context;
  const live = (name: string | null | undefined) => (name && name !== queue ? config.queue(tenant, name) : undefined);
  const target = live(context.policy.overflowQueue) ?? live(config.channel(tenant, context.channel)?.queue);
  const to = target ? { queue: target.name, policy: policyOf(target, (name) => config.queue(tenant, name)) } : null;
  return { type: 'queue.deleted', at, queue, to };
}

/**
 * What a committed step did to a conversation because of a missing queue (`queue`: the
 * missing one), for the metric; `undefined` when nothing. A `queue.deleted` that acted
 * stamped its own `at` on the conversation (`enqueuedAt` in the new queue, or `closedAt`);
 * a repeat did not.
 */
export function fallbackOutcome(
  state: string,
  context: ConversationContext,
  event: ConversationActorEvent,
  config: ConfigRegistry,
): { outcome: FallbackOutcome; queue: string } | undefined {
  if (event.type === 'queue.deleted') {
    const { queue } = event;
    if (state === 'closed' && context.closeReason === 'queueDeleted' && context.closedAt === event.at) return { outcome: FallbackOutcomes.Closed, queue };
    if (state === 'queued' && event.to && context.queue === event.to.queue && context.enqueuedAt === event.at) {
      const toChannelQueue = event.to.queue === config.channel(context.tenant, context.channel)?.queue;
      return { outcome: toChannelQueue ? FallbackOutcomes.ChannelQueue : FallbackOutcomes.Overflow, queue };
    }
    return undefined;
  }
  // A new conversation (no agent ever) entering its first queue with this message.
  if (event.type === 'customer.message' && state === 'queued' && context.enqueuedAt === event.at && context.lastAgentId === null) {
    if (context.fallbackFrom !== undefined) return { outcome: FallbackOutcomes.ChannelQueue, queue: context.fallbackFrom };
    if (!config.queue(context.tenant, context.queue) && !config.queueDeleted(context.tenant, context.queue)) return { outcome: FallbackOutcomes.Unrouted, queue: context.queue };
  }
  return undefined;
}

/** Conversations moved at the same time by one sweep. */
const SWEEP_BATCH = 64;

export interface QueueDeletionsOptions {
  db: Kysely<Database>;
  config: ConfigRegistry;
  send: SendToParley;
  /** Whether this node leads the queue (runs its scheduler). */
  leads: (tenant: string, queue: string) => boolean;
  log: Logger;
}

/**
 * Takes the conversations of deleted queues out of them: the leader of a deleted queue
 * sends `queue.deleted` to each conversation waiting in it or offered from it. The
 * conversation actor acts on it only while it is still in that queue, in its own fenced
 * step, so a conversation moves (or closes) exactly once however many copies arrive —
 * from a new leader after a failover, a resync, or a configuration change seen twice.
 */
export class QueueDeletions {
  /** Conversations with a `queue.deleted` on its way from this node. */
  private readonly sending = new Set<string>();

  constructor(private readonly options: QueueDeletionsOptions) {}

  /** Every conversation of every deleted queue led here (after a configuration change, a takeover, a resync). */
  async sweep(): Promise<void> {
    const { db, config, leads } = this.options;
    for (const { tenant, name } of config.deletedQueues()) {
      if (!leads(tenant, name)) continue;
      const rows = await db
        .selectFrom('conversations')
        .select(['snapshot'])
        .where('tenant', '=', tenant)
        .where('queue', '=', name)
        .where('state', 'in', ['queued', 'offered'])
        .execute();
      // A few at a time: a large queue must not flood the partitions' mailboxes at once.
      for (let i = 0; i < rows.length; i += SWEEP_BATCH) {
        await Promise.all(rows.slice(i, i + SWEEP_BATCH).map((row) => this.moveOn((row.snapshot as { context: ConversationContext }).context)));
      }
    }
  }

  /** A conversation's committed state: one that waits in (or is offered from) a deleted queue led here moves on. */
  conversationChanged(state: string, context: ConversationView): void {
    if (state !== 'queued' && state !== 'offered') return;
    if (!this.options.config.queueDeleted(context.tenant, context.queue) || !this.options.leads(context.tenant, context.queue)) return;
    void this.moveOn(context);
  }

  private async moveOn(context: ConversationView): Promise<void> {
    if (this.sending.has(context.id)) return;
    this.sending.add(context.id);
    try {
      const event = queueDeletedEvent(this.options.config, context, new Date().toISOString());
      await this.options.send({ kind: 'conversation', tenant: context.tenant, id: context.id, event });
    } catch (err) {
      // The next sweep (resync, takeover, configuration change) sends it again.
      this.options.log.warn('moving a conversation out of a deleted queue failed', { err, conversationId: context.id, queue: context.queue });
    } finally {
      this.sending.delete(context.id);
    }
  }
}
