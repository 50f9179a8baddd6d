import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useMigratedStore } from '../support/migrated-store.ts';
import { claimEpoch, identitiesOf, lookupInbound, lookupInbounds, resolveCustomer, type Database, type InboundLookupRequest } from '../../src/store/index.ts';

const tenant = 'acme';
const channel = 'whatsapp';

function request(phone: string, platformMessageId = `wamid.${randomUUID()}`): InboundLookupRequest {
  const from = { id: phone, idType: 'phone' as const };
  return { partition: 0, tenant, channel, platformMessageId, keys: identitiesOf(channel, from), externalId: `phone:${phone}` };
}

const advisoryLocks = async (tx: Kysely<Database>) =>
  Number((await sql<{ n: string }>`select count(*) as n from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()`.execute(tx)).rows[0]?.n);

/** A transaction's new customers are looked up in one statement: each answer is the one its own lookup gives. */
describe('lookupInbounds', () => {
  const database = useMigratedStore();
  const db = () => database.store.db;

  it('answers each request of a batch as it answers it alone: known or new sender, open conversation, message seen, the fence', async () => {
    await claimEpoch(db(), 0, 3, 'router-a');
    // A known customer with an open conversation and a stored message; a customer known by phone only; a stranger.
    const known = await db().transaction().execute((tx) => resolveCustomer(tx, tenant, channel, { id: '+33610000001', idType: 'phone' }));
    const conversationId = randomUUID();
    await db()
      .insertInto('conversations')
      .values({ id: conversationId, tenant, channel, customer_id: known, external_id: 'phone:+33610000001', state: 'connected', queue: 'support', agent_id: null, last_message_at: new Date(), closed_at: null, snapshot: '{}', partition: 0 })
      .execute();
    await db()
      .insertInto('messages')
      .values({ id: randomUUID(), tenant, conversation_id: conversationId, customer_id: known, channel, direction: 'inbound', platform_message_id: 'wamid.stored', agent_id: null, text: 'hello', attachments: null, content: null, sent_at: new Date(), provider_sent_at: null, delivery_status: null, delivery_reason: null })
      .execute();
    await db().transaction().execute((tx) => resolveCustomer(tx, tenant, 'sms', { id: '+33610000002', idType: 'phone' }));
    const requests = [request('+33610000001'), request('+33610000002'), request('+33610000003'), request('+33610000001', 'wamid.stored')];

    const one = await Promise.all(requests.map((r) => db().transaction().execute((tx) => lookupInbound(tx, r))));
    const many = await db().transaction().execute((tx) => lookupInbounds(tx, requests));
    expect(many).toEqual(one);
    expect(many.map((m) => [m.epoch, m.seen, m.conversation?.id, m.known.length, m.identitiesLocked])).toEqual([
      [3, false, conversationId, 2, false],
      [3, false, undefined, 1, true],
      [3, false, undefined, 0, true],
      [3, true, conversationId, 2, false],
    ]);
  });

  it('takes the locks of the senders with an identity not linked, and of no one else', async () => {
    await db().transaction().execute((tx) => resolveCustomer(tx, tenant, channel, { id: '+33620000001', idType: 'phone' }));
    await db().transaction().execute(async (tx) => {
      await lookupInbounds(tx, [request('+33620000001'), request('+33620000002'), request('+33620000003')]);
      // Two identities (the channel's, the phone) of each of the two new senders.
      expect(await advisoryLocks(tx)).toBe(4);
    });
    await db().transaction().execute(async (tx) => {
      await lookupInbounds(tx, [request('+33620000001')]);
      expect(await advisoryLocks(tx)).toBe(0);
    });
  });

  it('locks the open conversations it finds, as the single lookup does', async () => {
    const customer = await db().transaction().execute((tx) => resolveCustomer(tx, tenant, channel, { id: '+33630000001', idType: 'phone' }));
    const id = randomUUID();
    await db()
      .insertInto('conversations')
      .values({ id, tenant, channel, customer_id: customer, external_id: 'phone:+33630000001', state: 'queued', queue: 'support', agent_id: null, last_message_at: new Date(), closed_at: null, snapshot: '{}', partition: 0 })
      .execute();
    await db().transaction().execute(async (tx) => {
      const [found] = await lookupInbounds(tx, [request('+33630000002'), request('+33630000001')]).then((r) => r.slice(1));
      expect(found?.conversation?.id).toBe(id);
      // Another transaction cannot take the row for update meanwhile.
      const other = await db().connection().execute(async (conn) => {
        await sql`set lock_timeout = '100ms'`.execute(conn);
        return conn.transaction().execute((t) => sql`select id from conversations where id = ${id} for update`.execute(t)).then(
          () => 'taken',
          (err: Error) => err.message,
        );
      });
      expect(other).toMatch(/lock timeout/);
    });
  });
});
