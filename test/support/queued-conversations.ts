import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/index.ts';

/** Conversation rows queued on `sales`, for offers to reference (their actors play no part); their ids. */
export async function queuedConversations(db: Kysely<Database>, tenant: string, count: number): Promise<string[]> {
  const customer = randomUUID();
  await db.insertInto('customers').values({ id: customer, tenant, name: null }).execute();
  const ids = Array.from({ length: count }, () => randomUUID());
  await db
    .insertInto('conversations')
    .values(ids.map((id, i) => ({ id, tenant, channel: 'whatsapp', customer_id: customer, external_id: `opaque:${customer}:${i}`, state: 'queued', queue: 'sales', agent_id: null, last_message_at: new Date(), closed_at: null, snapshot: '{}' })))
    .execute();
  return ids;
}
