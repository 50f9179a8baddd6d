import type { NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import type { ChannelTransport, SendOutcome } from '../channels/index.ts';
import { encode, type OutboundMessage } from '../contract/index.ts';
import type { Database } from '../store/index.ts';
import type { ServerFrame } from './frames.ts';
import { CustomerId } from './session-token.ts';
import { webSubjects } from './web-subjects.ts';

/**
 * Delivers agents' messages to web customers. The router stores every conversation
 * message in the same transaction that queues its OutboundMessage, so by the time one
 * arrives here it is already in the customer's history: `send` confirms that, pushes it to
 * the customer's open sockets (core NATS on the session subject, whichever channels
 * process holds them) and answers `accepted`. A customer who is offline reads it from
 * `GET …/history` when the page loads again; nothing waits in memory.
 */
export function webTransport(nc: NatsConnection, db: Kysely<Database>): ChannelTransport {
  return {
    types: ['web'],
    async send(message: OutboundMessage, target: { tenant: string; channel: string }): Promise<SendOutcome> {
      // The id becomes a subject token: only what this server ever issued is accepted.
      if (message.to.idType !== 'opaque' || !CustomerId.safeParse(message.to.id).success) return { kind: 'failed', reason: 'UnknownCustomer: not a web messaging customer id' };
      const stored = await db
        .selectFrom('messages')
        .select('id')
        .where('tenant', '=', target.tenant)
        .where('id', '=', message.id)
        .where('direction', '=', 'outbound')
        .executeTakeFirst();
      // Agentless messages (campaigns, notifications) that no conversation stored have no
      // history to live in: they would be lost for an offline customer, so they are refused.
      if (!stored) return { kind: 'failed', reason: 'NotInHistory: web messaging sends only conversation messages, which the history keeps' };
      const frame: ServerFrame = {
        type: 'message',
        message: {
          id: message.id,
          direction: 'outbound',
          ...(message.text !== undefined && { text: message.text }),
          ...(message.attachments && { attachments: message.attachments }),
          ...(message.content && { content: message.content }),
          sentAt: message.timestamp,
        },
      };
      nc.publish(webSubjects.session(target.tenant, target.channel, message.to.id), encode(frame));
      return { kind: 'accepted', providerMessageId: message.id };
    },
  };
}
