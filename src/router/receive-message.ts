import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { initialTransition } from 'xstate';
import { externalIdOf, mediaTypeOf, ParleyError, type InboundMessage, type TranscriptMessage } from '../contract/index.ts';
import type { ConfigRegistry } from '../config/index.ts';
import { runInboundFlow } from '../config/index.ts';
import type { Database } from '../store/index.ts';
import { conversationOfReferences, identitiesOf, lookupInbound, resolveCustomer, type StepWrites } from '../store/index.ts';
import { conversationMachine } from '../conversation/machine.ts';
import { policyOf } from '../conversation/policy.ts';
import { messageTime } from '../conversation/message-time.ts';
import { chooseQueue } from './choose-queue.ts';
import type { ActorHost, StepResults } from '../actor/index.ts';
import { conversationPartitionKey, type Fence } from '../cluster/index.ts';

/**
 * Customer messages and actor events waiting for their transaction at most; a customer
 * message beyond is refused as `unavailable` and stays in JetStream to be redelivered,
 * instead of piling up in memory while the database is slow.
 */
export const MAX_BACKLOG = 5_000;

/**
 * A customer message as a router took it from its stream: `receivedAt` is when JetStream
 * stored it (the same on every delivery). It travels with the envelope to the partition's
 * owner; absent, the time it is processed stands in.
 */
export type ReceivedMessage = InboundMessage & { receivedAt?: string };

/** Takes a customer message in its partition's turn of the group commit; settles once committed. */
export function submitMessage(
  host: ActorHost,
  config: ConfigRegistry,
  partition: number,
  envelope: ReceivedMessage,
  maxBacklog = MAX_BACKLOG,
): Promise<'stored' | 'duplicate'> {
  if (host.backlog >= maxBacklog) {
    return Promise.reject(new ParleyError('unavailable', `${host.backlog} messages and events already wait for the database`));
  }
  // A new customer's first message does not wait behind the follow-ups of others (GroupCommit's lanes).
  const opens = conversationPartitionKey(envelope.tenant, envelope.channel, externalIdOf(envelope.from));
  return host.run(partition, (tx, fence, results) => receiveMessage(tx, host, config, fence, envelope, results), { opens });
}

/**
 * Takes one customer message inside the caller's transaction (fenced on the
 * conversation key's partition): recognizes the customer, finds the conversation open
 * on this channel inside the threading window or starts one, stores the message once
 * and runs it through the conversation actor. The caller commits, then runs `results`.
 */
export async function receiveMessage(
  tx: Kysely<Database>,
  host: ActorHost,
  config: ConfigRegistry,
  fence: Fence,
  envelope: ReceivedMessage,
  results: StepResults,
): Promise<'stored' | 'duplicate'> {
  const { tenant, from } = envelope;
  const { partition } = fence;
  const channel = config.channel(tenant, envelope.channel);
  if (!channel) throw new ParleyError('unknownChannel', `channel ${tenant}/${envelope.channel} is not configured`);
  const externalId = externalIdOf(from);

  const found = await lookupInbound(tx, {
    partition,
    tenant,
    channel: channel.name,
    platformMessageId: envelope.messageId,
    keys: identitiesOf(channel.name, from),
    externalId,
  });
  fence.verify(found.epoch);
  if (found.seen) return 'duplicate';

  const customerId = await resolveCustomer(tx, tenant, channel.name, from, found.known);
  const providerSentAt = new Date(envelope.timestamp);
  const receivedAt = envelope.receivedAt ? new Date(envelope.receivedAt) : new Date();
  const sentAt = messageTime(envelope.timestamp, receivedAt);
  // E-mail threading: a reply to a conversation's messages joins it whatever its window (store/thread-lookup.ts).
  const threaded = await conversationOfReferences(tx, { tenant, channel: channel.name, externalId, references: envelope.references, open: found.conversation });
  let row = threaded ?? found.conversation;

  // The window is measured on message time: a parked conversation whose window has
  // passed is closed here even if its timer has not fired yet (router was down, …). It
  // closed when its window ran out, and never later than now (a message may be stamped
  // a little ahead).
  const windowEnd = row && row.last_message_at.getTime() + channel.threadingWindowMs;
  if (row && !threaded && windowEnd !== undefined && row.state === 'parked' && windowEnd <= sentAt.getTime()) {
    const closedAt = new Date(Math.min(windowEnd, receivedAt.getTime())).toISOString();
    await host.stepLoaded(tx, { kind: 'conversation', tenant, id: row.id, partition, event: { type: 'window.expired', at: closedAt } }, row, results);
    row = undefined;
  }

  const id = row?.id ?? randomUUID();
  const message: TranscriptMessage = {
    id: randomUUID(),
    conversationId: id,
    direction: 'inbound',
    channel: channel.name,
    sentAt: sentAt.toISOString(),
    ...(envelope.text !== undefined && { text: envelope.text }),
    ...(envelope.attachments && { attachments: envelope.attachments }),
    ...(envelope.content && { content: envelope.content }),
  };
  const event = { type: 'customer.message', at: sentAt.toISOString(), message } as const;
  // The message is stored in the step's statement. A copy stored meanwhile by another
  // transaction (past the lookup) fails it, and the retry finds the message stored.
  const storeMessage = (writes: StepWrites) =>
    writes.insertMessage(
      {
        id: message.id,
        tenant,
        conversation_id: id,
        customer_id: customerId,
        channel: channel.name,
        direction: 'inbound',
        platform_message_id: envelope.messageId,
        agent_id: null,
        text: message.text ?? null,
        attachments: message.attachments ? JSON.stringify(message.attachments) : null,
        content: message.content ? JSON.stringify(message.content) : null,
        sent_at: sentAt,
        provider_sent_at: providerSentAt,
        delivery_status: null,
        delivery_reason: null,
        delivery_updated_at: null,
      },
      { once: false },
    );

  if (row) {
    await host.stepLoaded(tx, { kind: 'conversation', tenant, id, partition, event }, row, results, storeMessage);
  } else {
    const routing = runInboundFlow(channel.rules, channel.queue, { text: envelope.text, language: envelope.language, attributes: envelope.attributes });
    const { queue: queueName, fallbackFrom } = await chooseQueue(tx, config, tenant, routing.queue, channel.queue);
    const [snapshot] = initialTransition(conversationMachine, {
      id,
      tenant,
      channel: channel.name,
      channelType: channel.type,
      mediaType: mediaTypeOf(channel.type),
      customerId,
      customer: { id: from.id, idType: from.idType, name: from.name },
      queue: queueName,
      skills: routing.skills,
      language: routing.language,
      priority: routing.priority,
      preferredAgents: routing.preferredAgents,
      threadingWindowMs: channel.threadingWindowMs,
      policy: policyOf(config.queue(tenant, queueName), (name) => config.queue(tenant, name)),
      bot: channel.bot ?? null,
      attributes: envelope.attributes ?? {},
      lastMessageAt: sentAt.toISOString(),
      ...(fallbackFrom !== undefined && { fallbackFrom }),
    });
    await host.startConversation(tx, { id, tenant, channel: channel.name, customer_id: customerId, external_id: externalId, partition }, snapshot, event, results, storeMessage);
  }

  return 'stored';
}
