import type { Kysely } from 'kysely';
import { externalIdOf, mediaTypeOf, type Customer, type ErrorCode } from '../contract/index.ts';
import type { ConfigRegistry } from '../config/index.ts';
import type { Database } from '../store/index.ts';
import { identitiesOf, lookupInbound, resolveCustomer } from '../store/index.ts';
import { pureInitialTransition, type ActorStepper, type Fence, type StepResults } from '../runtime/index.ts';
import { conversationMachine } from './machine.ts';
import { policyOf } from './policy.ts';
import type { ConversationActorEvent } from './events.ts';
import type { ConversationContext, OpeningTemplate } from './context.ts';

/**
 * An agent's request to start a conversation (outbound), as the router hands it to the
 * conversation kind's opener: it runs in the partition of the customer's conversation key,
 * so the customer's reply finds this conversation like any other.
 */
export interface StartRequest {
  start: true;
  tenant: string;
  channel: string;
  /** The customer's address on the channel. */
  to: Pick<Customer, 'id' | 'idType'>;
  /** The id of the conversation if one is created (a parked one keeps its own). */
  conversationId: string;
  agentId: string;
  commandId: string;
  /** The first message as the history shows it (a template's body filled in). */
  text: string;
  /** WhatsApp: the approved template sent instead of the text. */
  template?: OpeningTemplate | undefined;
  at: string;
}

/** Started (the agent's slot is asked for; the conversation answers the command), already started (a redelivery), or refused. */
export type StartOutcome = { ok: true; started: boolean } | { ok: false; error: ErrorCode; message: string };

/**
 * Creates the conversation in the agent's hands, or continues the customer's parked one
 * on the channel; refused when another is open (it is someone's, or waiting in a queue). The
 * channel's own rules (outbound allowed, window, opt-out) are checked by the caller.
 */
export async function startConversation(
  tx: Kysely<Database>,
  actors: ActorStepper,
  config: ConfigRegistry,
  fence: Fence,
  request: StartRequest,
  results: StepResults,
): Promise<StartOutcome> {
  const { tenant, to, conversationId: id } = request;
  const channel = config.channel(tenant, request.channel);
  if (!channel) return { ok: false, error: 'unknownChannel', message: `channel ${request.channel} is not configured` };
  const externalId = externalIdOf(to);
  // It reads conversations by key: it must see this transaction's steps before it.
  await actors.flush(tx, 'conversation');
  const found = await lookupInbound(tx, {
    partition: fence.partition,
    tenant,
    channel: channel.name,
    // Outbound rows have no provider id: nothing is "seen" here.
    platformMessageId: request.commandId,
    keys: identitiesOf(channel.name, to),
    externalId,
  });
  fence.verify(found.epoch);
  // A redelivered command: its conversation exists already (new, or the one it continued).
  const sent = await tx.selectFrom('conversations').select('id').where('id', '=', id).executeTakeFirst();
  const opened = await tx.selectFrom('messages').select('id').where('id', '=', request.commandId).executeTakeFirst();
  const continuing = (found.conversation?.snapshot as { context?: ConversationContext } | undefined)?.context?.opening?.commandId === request.commandId;
  if (sent || opened || continuing) return { ok: true, started: false };
  const event: ConversationActorEvent = { type: 'agent.start', at: request.at, commandId: request.commandId, agentId: request.agentId, text: request.text, ...(request.template && { template: request.template }) };
  if (found.conversation?.state === 'parked') {
    // The customer's parked conversation continues (their reply would join it anyway).
    await actors.stepLoaded(tx, { kind: 'conversation', tenant, id: found.conversation.id, partition: fence.partition, event }, found.conversation, results);
    return { ok: true, started: true };
  }
  if (found.conversation) return { ok: false, error: 'conversationInProgress', message: `conversation ${found.conversation.id} is open with this customer on ${channel.name}` };

  const customerId = await resolveCustomer(tx, tenant, channel.name, to, found.known, found.identitiesLocked);
  const [snapshot] = pureInitialTransition(conversationMachine, {
    id,
    tenant,
    channel: channel.name,
    channelType: channel.type,
    mediaType: mediaTypeOf(channel.type),
    customerId,
    customer: { id: to.id, idType: to.idType },
    // The channel's queue: its wrap-up codes and after-work apply when the agent closes.
    queue: channel.queue,
    skills: [],
    language: null,
    priority: 0,
    preferredAgents: [],
    threadingWindowMs: channel.threadingWindowMs,
    policy: policyOf(config.queue(tenant, channel.queue), (name) => config.queue(tenant, name)),
    bot: null,
    attributes: {},
    lastMessageAt: request.at,
  });
  // Opened by the agent: `outbound` in the interactions view (a continued parked one stays the customer's).
  const created = { id, tenant, channel: channel.name, customer_id: customerId, external_id: externalId, started_by: 'agent' as const, partition: fence.partition };
  await actors.create(tx, 'conversation', created, snapshot, event, results);
  return { ok: true, started: true };
}
