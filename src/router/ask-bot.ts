import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { BotAnswer, decode, encode } from '../contract/index.ts';
import type { ConfigRegistry } from '../config/index.ts';
import type { Effect } from '../runtime/index.ts';
import type { SendToParley } from './actor-addresses.ts';
import { policyOf } from '../conversation/index.ts';
import type { ConversationActorEvent } from '../conversation/index.ts';
import type { Logger } from '../observability/index.ts';
import { inMessagingSpan, withTraceHeaders } from '../bus/index.ts';

/**
 * Asks a conversation's bot over NATS request/reply and brings its answer back to the
 * conversation as an event. Any failure — no responder, a timeout, an answer that is not
 * a BotAnswer, a queue that does not exist — hands the conversation to an agent instead:
 * a broken bot never strands a customer.
 */
export async function askBot(
  nc: NatsConnection,
  send: SendToParley,
  config: ConfigRegistry,
  tenant: string,
  conversationId: string,
  ask: Extract<Effect, { kind: 'bot.ask' }>,
  log: Logger,
): Promise<void> {
  // The bot may join the conversation's trace (the request carries `traceparent`).
  const asking = inMessagingSpan({ operation: 'request', subject: ask.subject }, () => nc.request(ask.subject, encode(ask.request), { timeout: ask.timeoutMs, headers: withTraceHeaders() }));
  const answer = await asking.then(
    (msg) => decode(BotAnswer, msg.data),
    (err: unknown) => ({ ok: false as const, code: 'unavailable' as const, detail: err instanceof Error ? err.message : String(err) }),
  );
  const at = new Date().toISOString();
  let event: ConversationActorEvent;
  if (!answer.ok) {
    log.warn('bot failed', { conversationId, subject: ask.subject, reason: answer.code });
    event = { type: 'bot.failed', at, reason: `${answer.code}: ${answer.detail}` };
  } else if (answer.value.action === 'handoff' && answer.value.queue && !config.queue(tenant, answer.value.queue)) {
    log.warn('bot handed off to an unknown queue', { conversationId, queue: answer.value.queue });
    event = { type: 'bot.failed', at, reason: `unknown queue ${answer.value.queue}` };
  } else {
    const queue = answer.value.action === 'handoff' && answer.value.queue ? config.queue(tenant, answer.value.queue) : undefined;
    event = { type: 'bot.answered', at, answer: answer.value, messageId: randomUUID(), ...(queue && { policy: policyOf(queue, (name) => config.queue(tenant, name)) }) };
  }
  try {
    await send({ kind: 'conversation', tenant, id: conversationId, event });
  } catch (err) {
    // The conversation's bot timer hands it off anyway.
    log.error('bot answer not delivered', { conversationId, err });
  }
}
