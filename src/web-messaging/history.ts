import type { Kysely } from 'kysely';
import { externalIdOf, type Attachment, type RichContent } from '../contract/index.ts';
import type { Database } from '../store/index.ts';
import type { HistoryMessage } from './frames.ts';

/** The key of a web customer's conversations: the same external id the router files them under. */
export function webExternalId(customerId: string): string {
  return externalIdOf({ id: customerId, idType: 'opaque' });
}

/** The inbound message id Parley stores for a browser's message id: namespaced by customer, so two customers' ids never collide. */
export function inboundMessageId(customerId: string, clientId: string): string {
  return `${customerId}:${clientId}`;
}

/**
 * The latest `limit` messages of the customer's conversations on this Channel, oldest
 * first, from the messages table the router writes (read only). An agent's message is in
 * it from the moment the router committed it, before it is delivered: a customer who was
 * offline sees it on the next page load.
 */
export async function customerWebHistory(
  db: Kysely<Database>,
  session: { tenant: string; channel: string; customerId: string },
  limit: number,
): Promise<HistoryMessage[]> {
  const rows = await db
    .selectFrom('messages as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .select(['m.id', 'm.direction', 'm.platform_message_id', 'm.text', 'm.attachments', 'm.content', 'm.sent_at'])
    .where('c.tenant', '=', session.tenant)
    .where('c.channel', '=', session.channel)
    .where('c.external_id', '=', webExternalId(session.customerId))
    .where('m.tenant', '=', session.tenant)
    .orderBy('m.sent_at', 'desc')
    .orderBy('m.created_at', 'desc')
    .limit(limit)
    .execute();
  const prefix = `${session.customerId}:`;
  return rows.reverse().map((row) => ({
    id: row.id,
    direction: row.direction,
    ...(row.direction === 'inbound' && row.platform_message_id?.startsWith(prefix) && { clientId: row.platform_message_id.slice(prefix.length) }),
    ...(row.text !== null && { text: row.text }),
    ...(row.attachments && { attachments: row.attachments as Attachment[] }),
    ...(row.content && { content: row.content as RichContent[] }),
    sentAt: row.sent_at.toISOString(),
  }));
}
