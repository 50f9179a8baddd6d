import type { Kysely } from 'kysely';
import type { AnyMachineSnapshot } from 'xstate';
import { externalIdOf } from '../contract/index.ts';
import type { ConfigRegistry } from '../config/index.ts';
import type { ConversationIdentity, ConversationRow, Database } from '../store/index.ts';
import { conversationPartition, conversationSaves, openActor, openOrigin } from '../store/index.ts';
import { conversationPartitionKey, partitionOf } from '../partition/index.ts';
import type { ActorKind } from '../runtime/index.ts';
import type { ConversationContext } from './context.ts';
import { conversationMachine } from './machine.ts';
import { receiveMessage, type ReceivedMessage } from './receive-message.ts';
import { startConversation, type StartRequest } from './start-conversation.ts';
import { OpenConversations } from './open-conversations.ts';
import { LookupsAhead } from './lookups-ahead.ts';
import { NewCustomersInWrites } from './new-customers.ts';

/** Conversations' partitions, remembered at most (they never change for a given partition count). */
const REMEMBERED_PARTITIONS = 100_000;

/** The conversation kind, and what it learns from conversations' state seen elsewhere. */
export interface ConversationKind extends ActorKind {
  /**
   * A conversation's committed state, seen on any node (a state note from its owner):
   * its partition follows from its key, so an event for it sent from here then reads
   * nothing to find its owner (an agent's answer to an offer, say).
   */
  learnPartition(context: Pick<ConversationContext, 'id' | 'tenant' | 'channel' | 'customer'>, partitions: number): void;
}

/**
 * The conversation actor kind. A conversation's partition comes from its key (the
 * customer's identity on a channel): known from its state once seen, else looked up in
 * the store by id (and remembered); a customer message, addressed by that key, is its
 * activation step.
 */
export function conversationKind(db: Kysely<Database>, config: ConfigRegistry): ConversationKind {
  const partitions = new Map<string, number>();
  const remember = (id: string, partition: number) => {
    if (partitions.size >= REMEMBERED_PARTITIONS) partitions.clear();
    partitions.set(id, partition);
  };
  const open = new OpenConversations();
  const ahead = new LookupsAhead(config, open);
  const newCustomers = new NewCustomersInWrites();
  const keyOfContext = (ctx: Pick<ConversationContext, 'tenant' | 'channel' | 'customer'>) => conversationPartitionKey(ctx.tenant, ctx.channel, externalIdOf(ctx.customer));
  return {
    kind: 'conversation',
    machine: conversationMachine,
    async partitionOf(_tenant, id) {
      const known = partitions.get(id);
      if (known !== undefined) return known;
      const partition = await conversationPartition(db, id);
      if (partition !== undefined) remember(id, partition);
      return partition;
    },
    learnPartition(ctx, count) {
      if (!partitions.has(ctx.id)) remember(ctx.id, partitionOf(keyOfContext(ctx), count));
    },
    load: (tx, request) => openActor<ConversationRow>(tx, { ...request, kind: 'conversation' }),
    checkOrigin: (tx, request) => openOrigin(tx, { ...request, kind: 'conversation' }),
    write(writes, next: AnyMachineSnapshot, _partition, created) {
      const ctx = next.context as ConversationContext;
      const stored = {
        state: String(next.value),
        queue: ctx.queue,
        agentId: ctx.agentId,
        lastMessageAt: new Date(ctx.lastMessageAt),
        closedAt: ctx.closedAt ? new Date(ctx.closedAt) : null,
        snapshot: conversationMachine.getPersistedSnapshot(next as never),
      };
      if (created) writes.insertConversation(created as ConversationIdentity, stored);
      else writes.saveConversation(ctx.id, stored);
    },
    save: (steps) =>
      conversationSaves(
        steps.map(({ next, snapshot, version }) => {
          const ctx = next.context as ConversationContext;
          return { id: ctx.id, version, state: String(next.value), queue: ctx.queue, agentId: ctx.agentId, lastMessageAt: ctx.lastMessageAt, closedAt: ctx.closedAt, snapshot };
        }),
      ),
    keyOfActor: (snapshot) => keyOfContext(snapshot.context as ConversationContext),
    // Two kinds of work find a conversation by its key: a customer message, and an agent starting one (`start`).
    opener: {
      keyOf: (envelope) => {
        const e = envelope as ReceivedMessage | StartRequest;
        return conversationPartitionKey(e.tenant, e.channel, externalIdOf('start' in e ? e.to : e.from));
      },
      open: (tx, fence, envelope, results, actors) =>
        'start' in (envelope as object)
          ? startConversation(tx, actors, config, fence, envelope as StartRequest, results)
          : receiveMessage(tx, actors, config, fence, envelope as ReceivedMessage, results, open, ahead, newCustomers),
      prepare: (tx, work, actors) => ahead.read(tx, work, actors),
    },
  };
}
