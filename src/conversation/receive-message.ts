import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AnyMachineSnapshot } from 'xstate';
import { externalIdOf, mediaTypeOf, ParleyError, type InboundMessage, type TranscriptMessage } from '../contract/index.ts';
import type { ConfigRegistry } from '../config/index.ts';
import { runInboundFlow } from '../config/index.ts';
import type { Database } from '../store/index.ts';
import { conversationOfReferences, identitiesOf, linkNewCustomer, lookupInbound, messageRow, resolveCustomer, type StepWrites } from '../store/index.ts';
import { conversationPartitionKey } from '../partition/index.ts';
import { pureInitialTransition, type ActorStepper, type Fence, type StepResults } from '../runtime/index.ts';
import { conversationMachine } from './machine.ts';
import { policyOf } from './policy.ts';
import { messageTime } from './message-time.ts';
import { routeCampaignReply } from '../campaigns/index.ts';
import { chooseQueue } from './choose-queue.ts';
import type { ConversationActorEvent } from './events.ts';
import type { ConversationContext } from './context.ts';
import { identitySignature, type OpenConversations } from './open-conversations.ts';
import type { LookupsAhead } from './lookups-ahead.ts';
import type { NewCustomersInWrites } from './new-customers.ts';

/**
 * A customer message as a router took it from its stream: `receivedAt` is when JetStream
 * stored it (the same on every delivery). It travels with the envelope to the partition's
 * owner; absent, the time it is processed stands in.
 */
export type ReceivedMessage = InboundMessage & { receivedAt?: string };

/** What taking a customer message came to: stored, or a redelivery of one stored before. */
export type ReceiveOutcome = 'stored' | 'duplicate';

/**
 * The conversation kind's activation step: takes one customer message inside the
 * caller's transaction (fenced on the conversation key's partition): recognizes the
 * customer, finds the conversation open on this channel inside the threading window or
 * starts one, stores the message once and runs it through the conversation actor. The
 * caller commits, then runs `results`.
 *
 * A follow-up reads nothing when its conversation is active in this router's memory
 * (`open` knows it by key, the sender brings no identity not linked yet, it is no e-mail
 * reply threaded by references, and the conversation neither closed nor parked past its
 * window): its step and its message's insert join the transaction's writes. A new
 * customer's lookup may have been read with the transaction's others (`ahead`); one
 * looked up alone is linked with its step's writes (`linkNewCustomer`).
 */
export async function receiveMessage(
  tx: Kysely<Database>,
  actors: ActorStepper,
  config: ConfigRegistry,
  fence: Fence,
  envelope: ReceivedMessage,
  results: StepResults,
  open: OpenConversations,
  ahead: LookupsAhead,
  newCustomers: NewCustomersInWrites,
): Promise<ReceiveOutcome> {
  const { tenant, from } = envelope;
  const { partition } = fence;
  // The one check of the channel: a message for a channel not configured is refused (dead-lettered by the consumer).
  const channel = config.channel(tenant, envelope.channel);
  if (!channel) throw new ParleyError('unknownChannel', `channel ${tenant}/${envelope.channel} is not configured`);
  const externalId = externalIdOf(from);
  const keys = identitiesOf(channel.name, from);
  const key = conversationPartitionKey(tenant, channel.name, externalId);
  const providerSentAt = new Date(envelope.timestamp);
  const receivedAt = envelope.receivedAt ? new Date(envelope.receivedAt) : new Date();
  const sentAt = messageTime(envelope.timestamp, receivedAt);
  const messageOf = (conversationId: string): TranscriptMessage => ({
    id: randomUUID(),
    conversationId,
    direction: 'inbound',
    channel: channel.name,
    sentAt: sentAt.toISOString(),
    ...(envelope.text !== undefined && { text: envelope.text }),
    ...(envelope.attachments && { attachments: envelope.attachments }),
    ...(envelope.content && { content: envelope.content }),
  });
  // A new customer's links go with its first message's writes (see below).
  let linkCustomer: ((writes: StepWrites) => void) | undefined;
  // The message is stored in the step's statement. A copy stored meanwhile (a redelivery,
  // or another transaction past the lookup) fails it on its unique index: the host runs
  // the work again, and that lookup finds the message stored.
  const storeMessage = (message: TranscriptMessage, customerId: string) => (writes: StepWrites) => {
    linkCustomer?.(writes);
    writes.insertMessage(messageRow(message, { tenant, customerId, platformMessageId: envelope.messageId, providerSentAt }), { once: false });
  };

  // A follow-up of a conversation active in this router's memory is stepped from there:
  // nothing is read (a failed transaction drops its actors from memory, so its retry looks up).
  const known = open.get(key);
  if (known && known.identities === identitySignature(keys) && !envelope.references?.length) {
    const active = actors.activeActor(tx, 'conversation', { tenant, id: known.id, partition }, fence.epoch);
    if (active && joinsAsIs(active.snapshot, sentAt, channel.threadingWindowMs)) {
      const message = messageOf(known.id);
      const target = { kind: 'conversation', tenant, id: known.id, partition, event: customerMessage(message) };
      await actors.stepActive(tx, 'conversation', active, target, results, storeMessage(message, known.customerId));
      return 'stored';
    }
  }

  // What follows reads this key's conversations, and an e-mail reply the messages it
  // references: it must see this transaction's steps of them (not those of other keys:
  // they go out together before the commit). The lookup may have been read ahead with
  // the transaction's other new customers.
  const flush = () => actors.flush(tx, 'conversation');
  // A new customer of this transaction whose links are not sent yet may share an identity with this sender.
  const sharesNewIdentity = newCustomers.among(tx, keys);
  let found = ahead.take(tx, envelope, key, actors);
  const readAhead = found !== undefined;
  if (!found) {
    if (envelope.references?.length || actors.writesPendingFor(tx, 'conversation', key) || sharesNewIdentity) await flush();
    found = await lookupInbound(tx, { partition, tenant, channel: channel.name, platformMessageId: envelope.messageId, keys, externalId });
  }
  fence.verify(found.epoch);
  if (found.seen) return 'duplicate';

  // A sender none of whose identities is linked, looked up just now under their locks: a
  // new customer, linked with the step's writes. Read ahead, its lookup may be older than
  // another's links of this transaction: it links itself, as does a sender already known.
  let customerId = found.customerId;
  if (customerId === undefined && !readAhead && found.identitiesLocked && found.known.length === 0) {
    const created = { id: randomUUID(), name: from.name ?? null };
    customerId = created.id;
    newCustomers.add(tx, keys);
    linkCustomer = (writes) => linkNewCustomer(writes, tenant, keys, created);
  } else if (customerId === undefined) {
    // Looked up just now, it was sent before the lookup; read ahead, it is sent now.
    if (readAhead && sharesNewIdentity) await flush();
    customerId = await resolveCustomer(tx, tenant, channel.name, from, found.known, found.identitiesLocked);
  }
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
    const expired: ConversationActorEvent = { type: 'window.expired', at: closedAt };
    await actors.stepLoaded(tx, { kind: 'conversation', tenant, id: row.id, partition, event: expired }, row, results);
    row = undefined;
  }

  // A reply to a campaign message starts on that campaign's conversation.
  const reply = row ? undefined : await routeCampaignReply(tx, config, { tenant, channel: channel.name, from, at: sentAt });
  const id = row?.id ?? reply?.conversationId ?? randomUUID();
  const message = messageOf(id);
  const event = customerMessage(message);

  if (row) {
    await actors.stepLoaded(tx, { kind: 'conversation', tenant, id, partition, event }, row, results, storeMessage(message, customerId));
  } else {
    const routing = runInboundFlow(channel.rules, channel.queue, { text: envelope.text, language: envelope.language, attributes: envelope.attributes });
    const { queue: queueName, fallbackFrom } = await chooseQueue(tx, config, tenant, reply?.queue ?? routing.queue, channel.queue, flush);
    const [snapshot] = pureInitialTransition(conversationMachine, {
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
      threadingWindowMs: reply?.noReplyCloseMs ?? channel.threadingWindowMs,
      policy: policyOf(config.queue(tenant, queueName), (name) => config.queue(tenant, name)),
      bot: reply ? reply.bot : (channel.bot ?? null),
      attributes: envelope.attributes ?? {},
      lastMessageAt: sentAt.toISOString(),
      ...(fallbackFrom !== undefined && { fallbackFrom }),
      ...(reply && { campaign: reply.campaign }),
    });
    const created = { id, tenant, channel: channel.name, customer_id: customerId, external_id: externalId, partition };
    await actors.create(tx, 'conversation', created, snapshot, event, results, storeMessage(message, customerId));
  }
  // The key's open conversation, for its next messages (a reply threaded into another is not it).
  if (!threaded) open.set(key, { id, customerId, identities: identitySignature(keys) });
  return 'stored';
}

function customerMessage(message: TranscriptMessage): ConversationActorEvent {
  return { type: 'customer.message', at: message.sentAt, message };
}

/**
 * A message joins the conversation as it is, with no lookup: it is not closed, and not
 * parked past its threading window (that one closes, and the message starts another).
 */
function joinsAsIs(snapshot: AnyMachineSnapshot, sentAt: Date, threadingWindowMs: number): boolean {
  const state = String(snapshot.value);
  if (state === 'closed') return false;
  const ctx = snapshot.context as ConversationContext;
  return !(state === 'parked' && Date.parse(ctx.lastMessageAt) + threadingWindowMs <= sentAt.getTime());
}
