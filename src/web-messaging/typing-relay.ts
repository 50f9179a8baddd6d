import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { AgentId, encode, subjects } from '../contract/index.ts';
import type { Database } from '../store/index.ts';
import type { Logger } from '../observability/index.ts';
import type { ServerFrame } from './frames.ts';
import { webExternalId } from './history.ts';
import { webSubjects } from './web-subjects.ts';

/**
 * What the agent's side publishes on `parley.v1.web.typing.<tenant>` (core NATS) while the
 * agent types in a conversation: `{ conversationId, agentId, typing }`.
 */
export const AgentTypingSignal = z.object({ conversationId: z.uuid(), agentId: AgentId, typing: z.boolean() });
export type AgentTypingSignal = z.infer<typeof AgentTypingSignal>;

const CUSTOMER_PREFIX = 'opaque:';

/**
 * Forwards agents' typing signals to the customer's sockets. One subscriber of the queue
 * group handles each signal; it checks that the agent is the conversation's agent.
 */
export function relayAgentTyping(nc: NatsConnection, db: Kysely<Database>, isWebChannel: (tenant: string, channel: string) => boolean, logger?: Logger): Subscription {
  return nc.subscribe(webSubjects.allAgentTyping, {
    queue: 'parley-web-typing',
    callback: (_err, msg) => {
      const tenant = msg.subject.split('.').at(-1) ?? '';
      const parsed = AgentTypingSignal.safeParse(safeJson(msg.string()));
      if (!parsed.success) return;
      const { conversationId, agentId, typing } = parsed.data;
      void db
        .selectFrom('conversations')
        .select(['channel', 'external_id'])
        .where('tenant', '=', tenant)
        .where('id', '=', conversationId)
        .where('agent_id', '=', agentId)
        .executeTakeFirst()
        .then((row) => {
          if (!row?.external_id.startsWith(CUSTOMER_PREFIX) || !isWebChannel(tenant, row.channel)) return;
          const frame: ServerFrame = { type: 'typing', typing };
          nc.publish(webSubjects.session(tenant, row.channel, row.external_id.slice(CUSTOMER_PREFIX.length)), encode(frame));
        })
        .catch((err: unknown) => logger?.warn('agent typing not relayed', { err }));
    },
  });
}

/**
 * Tells the agent of the customer's open conversation that the customer is typing, as an
 * event on the agent's events subject (which the gateway forwards to the desktop):
 * `{ type: 'conversation.typing', conversationId, typing }`.
 */
export async function publishCustomerTyping(nc: NatsConnection, db: Kysely<Database>, session: { tenant: string; channel: string; customerId: string }, typing: boolean): Promise<boolean> {
  const row = await db
    .selectFrom('conversations')
    .select(['id', 'agent_id'])
    .where('tenant', '=', session.tenant)
    .where('channel', '=', session.channel)
    .where('external_id', '=', webExternalId(session.customerId))
    .where('state', '=', 'connected')
    .where('agent_id', 'is not', null)
    .executeTakeFirst();
  if (!row?.agent_id) return false;
  nc.publish(
    subjects.agentEvents(session.tenant, row.agent_id),
    encode({ version: 1, type: 'conversation.typing', tenant: session.tenant, agentId: row.agent_id, at: new Date().toISOString(), conversationId: row.id, typing }),
  );
  return true;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
