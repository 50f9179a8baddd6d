import type { Kysely } from 'kysely';
import type { AgentCommand, ErrorCode } from '../contract/index.ts';
import { classifyDatabaseError, type Database } from '../store/index.ts';
import type { ConfigRegistry } from '../config/index.ts';
import { policyOf, type QueuePolicy, type StartOutcome, type StartRequest } from '../conversation/index.ts';
import type { AgentEventBody } from '../runtime/index.ts';
import type { ParleyAddress, SendToParley } from './actor-addresses.ts';
import { checkStart } from './start-checks.ts';

type Reply = (tenant: string, agentId: string, event: AgentEventBody) => void;

/** Opens an agent-started conversation in its key's partition (the conversation kind's opener). */
export type OpenStart = (request: StartRequest) => Promise<StartOutcome>;

/**
 * A command older than this is answered `commandExpired` and not carried out: its client
 * gave up long ago (the gateway answers 504 after 10 s), and an agent's reply or accept
 * must not happen minutes later behind their back.
 */
export const COMMAND_MAX_AGE_MS = 60_000;

/**
 * Turns an agent command into an event for the actor that owns the decision: the agent
 * actor for presence and offers, the conversation actor for messages and closing.
 */
export async function handleCommand(db: Kysely<Database>, send: SendToParley, open: OpenStart, config: ConfigRegistry, command: AgentCommand, reply: Reply): Promise<void> {
  const fail = (code: ErrorCode, message: string) =>
    reply(command.tenant, command.agentId, { type: 'command.result', commandId: command.commandId, ok: false, error: { code, message } });
  try {
    await carryOut(db, send, open, config, command, reply, fail);
  } catch (err) {
    // The database is down: the agent hears so now and may try again (a new command),
    // rather than after minutes of redeliveries, when the command has expired. Only the
    // database's own failures: an `unavailable` of Parley's (an earlier event for the actor
    // still on its way, say) is retried through JetStream like any transient failure.
    if (classifyDatabaseError(err) === 'unavailable') return fail('unavailable', 'the database is unavailable; nothing was done');
    throw err;
  }
}

async function carryOut(
  db: Kysely<Database>,
  send: SendToParley,
  open: OpenStart,
  config: ConfigRegistry,
  command: AgentCommand,
  reply: Reply,
  fail: (code: ErrorCode, message: string) => void,
): Promise<void> {
  const { tenant, agentId, commandId } = command;
  const now = Date.now();
  const at = new Date(now).toISOString();
  if (now - Date.parse(command.issuedAt) > COMMAND_MAX_AGE_MS) {
    return fail('commandExpired', `issued at ${command.issuedAt}, more than ${COMMAND_MAX_AGE_MS / 1000} s ago`);
  }

  let target: ParleyAddress;
  switch (command.type) {
    case 'agent.configure': {
      const { type, name, skills, capacity, proficiency, languages, labels, interruptibleBy, autoAccept, awayAfterMissedOffers } = command;
      target = { kind: 'agent', tenant, id: agentId, event: { type, at, commandId, name, skills, capacity, proficiency, languages, labels, interruptibleBy, autoAccept, awayAfterMissedOffers } };
      break;
    }
    case 'presence.set':
      target = { kind: 'agent', tenant, id: agentId, event: { type: 'presence.set', at, commandId, presence: command.presence } };
      break;
    case 'offer.accept':
      target = { kind: 'agent', tenant, id: agentId, event: { type: 'offer.accept', at, commandId, offerId: command.offerId } };
      break;
    case 'offer.reject':
      target = { kind: 'agent', tenant, id: agentId, event: { type: 'offer.reject', at, commandId, offerId: command.offerId } };
      break;
    case 'message.send': {
      // A redelivered command finds its message already stored: answer again, send nothing twice.
      const sent = await db.selectFrom('messages').select('id').where('id', '=', commandId).executeTakeFirst();
      if (sent) return reply(tenant, agentId, { type: 'command.result', commandId, ok: true });
      target = {
        kind: 'conversation',
        tenant,
        id: command.conversationId,
        event: { type: 'agent.message', at, commandId, agentId, text: command.text, attachments: command.attachments, content: command.content },
      };
      break;
    }
    case 'conversation.close':
      target = { kind: 'conversation', tenant, id: command.conversationId, event: { type: 'agent.close', at, commandId, agentId, wrapUpCode: command.wrapUpCode } };
      break;
    case 'conversation.transfer': {
      let to: { queue: string; policy: QueuePolicy } | { agent: string };
      if ('queue' in command.to) {
        const queue = config.queue(tenant, command.to.queue);
        if (!queue) return fail('unknownQueue', `queue ${command.to.queue} is not configured`);
        to = { queue: queue.name, policy: policyOf(queue, (name) => config.queue(tenant, name)) };
      } else {
        const known = await db.selectFrom('agents').select('id').where('tenant', '=', tenant).where('id', '=', command.to.agentId).executeTakeFirst();
        if (!known) return fail('unknownAgent', `agent ${command.to.agentId} does not exist`);
        to = { agent: command.to.agentId };
      }
      target = { kind: 'conversation', tenant, id: command.conversationId, event: { type: 'agent.transfer', at, commandId, agentId, to, ...(command.note && { note: command.note }) } };
      break;
    }
    case 'conversation.start': {
      const { to, customerId, text, template } = command;
      const checked = await checkStart(db, config, { tenant, channel: command.channel, to, customerId, text, template }, new Date(now));
      if (!checked.ok) return fail(checked.error, checked.message);
      // The agent actor answers the conversation's request for a slot: it must exist to answer.
      const known = await db.selectFrom('agents').select('id').where('tenant', '=', tenant).where('id', '=', agentId).executeTakeFirst();
      if (!known) return fail('unknownAgent', `agent ${agentId} does not exist; configure it first`);
      const { conversationId, channel } = command;
      const outcome = await open({ start: true, tenant, channel, to: checked.to, conversationId, agentId, commandId, ...checked.first, at });
      if (!outcome.ok) return fail(outcome.error, outcome.message);
      // Started: the conversation answers once the agent's slot is taken (or refused). A redelivery finds it started: its first answer stands.
      if (!outcome.started) reply(tenant, agentId, { type: 'command.result', commandId, ok: true });
      return;
    }
  }

  // The actor's host loads it under lock and says whether it exists (in this tenant).
  if (await send(target)) return;
  if (target.kind === 'conversation') fail('unknownConversation', `conversation ${target.id} does not exist`);
  else fail('unknownAgent', `agent ${agentId} does not exist; configure it first`);
}
