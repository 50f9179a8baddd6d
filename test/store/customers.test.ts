import { describe, expect, it } from 'vitest';
import { useMigratedStore } from '../support/migrated-store.ts';
import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import { identitiesOf, linkCustomers, lookupInbound, resolveCustomer } from '../../src/store/index.ts';

const tenant = 'acme';

/** Recognizing a message's sender: the lock, then one statement that reads under it and writes what is missing. */
describe('resolveCustomer', () => {
  const database = useMigratedStore();
  const db = () => database.store.db;
  const identities = (customerId: string) =>
    db().selectFrom('identities').select(['kind', 'channel', 'value']).where('customer_id', '=', customerId).orderBy('kind').execute();

  it('creates a new customer with all its identities linked', async () => {
    const id = await db().transaction().execute((tx) => resolveCustomer(tx, tenant, 'whatsapp', { id: '+33611111111', idType: 'phone', name: 'Camille' }));
    const customer = await db().selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(customer).toMatchObject({ tenant, name: 'Camille' });
    expect(await identities(id)).toEqual([
      { kind: 'channel', channel: 'whatsapp', value: 'phone:+33611111111' },
      { kind: 'phone', channel: '', value: '+33611111111' },
    ]);
  });

  it('recognizes a customer by the phone linked on another channel, and links the new channel identity to it', async () => {
    const first = await db().transaction().execute((tx) => resolveCustomer(tx, tenant, 'whatsapp', { id: '+33622222222', idType: 'phone' }));
    const customers = await db().selectFrom('customers').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const second = await db().transaction().execute((tx) => resolveCustomer(tx, tenant, 'sms', { id: '+33622222222', idType: 'phone' }));
    expect(second).toBe(first);
    expect(await identities(first)).toContainEqual({ kind: 'channel', channel: 'sms', value: 'phone:+33622222222' });
    // No customer was created for the second channel.
    const after = await db().selectFrom('customers').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(customers.n);
  });

  it('prefers the customer of the channel identity over the one of the phone', async () => {
    const byPhone = await db().transaction().execute((tx) => resolveCustomer(tx, tenant, 'sms', { id: '+33633333333', idType: 'phone' }));
    const byChannel = await db().transaction().execute((tx) => resolveCustomer(tx, tenant, 'webchat', { id: 'visitor-1', idType: 'opaque' }));
    // The webchat visitor now gives the same phone: it stays the webchat customer, and the phone (linked already) is left as is.
    const again = await db().transaction().execute((tx) => resolveCustomer(tx, tenant, 'webchat', { id: 'visitor-1', idType: 'opaque', phone: '+33633333333' }));
    expect(again).toBe(byChannel);
    expect(again).not.toBe(byPhone);
    expect(await identities(byPhone)).toContainEqual({ kind: 'phone', channel: '', value: '+33633333333' });
  });

  it('takes the identities’ locks in the lookup of a new sender’s message, and only then', async () => {
    const from = { id: '+33644444444', idType: 'phone' as const };
    const lookup = (tx: Parameters<typeof lookupInbound>[0]) =>
      lookupInbound(tx, { partition: 0, tenant, channel: 'whatsapp', platformMessageId: `wamid.${Math.random()}`, keys: identitiesOf('whatsapp', from), externalId: 'phone:+33644444444' });
    const advisoryLocks = async (tx: Parameters<typeof lookupInbound>[0]) =>
      Number((await sql<{ n: string }>`select count(*) as n from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()`.execute(tx)).rows[0]?.n);
    const created = await db().transaction().execute(async (tx) => {
      const found = await lookup(tx);
      expect(found.identitiesLocked).toBe(true);
      expect(await advisoryLocks(tx)).toBe(2);
      return resolveCustomer(tx, tenant, 'whatsapp', from, found.known, found.identitiesLocked);
    });
    expect(await identities(created)).toHaveLength(2);
    await db().transaction().execute(async (tx) => {
      const found = await lookup(tx);
      expect(found.identitiesLocked).toBe(false);
      expect(await advisoryLocks(tx)).toBe(0);
      expect(await resolveCustomer(tx, tenant, 'whatsapp', from, found.known, found.identitiesLocked)).toBe(created);
    });
  });

  it('links many senders in one statement: each to the customer of its best-ranked linked identity, else to a new one', async () => {
    const byPhone = await db().transaction().execute((tx) => resolveCustomer(tx, tenant, 'sms', { id: '+33655555555', idType: 'phone' }));
    const senders = [
      { id: 'visitor-7', idType: 'opaque' as const, name: 'Lou' },
      { id: 'visitor-8', idType: 'opaque' as const, phone: '+33655555555' },
    ];
    const created = [randomUUID(), randomUUID()];
    const customers = await db().transaction().execute((tx) =>
      linkCustomers(tx, senders.map((from, i) => ({ tenant, keys: identitiesOf('webchat', from), created: { id: created[i] as string, name: from.name ?? null } }))),
    );
    expect(customers).toEqual([created[0], byPhone]);
    const lou = await db().selectFrom('customers').selectAll().where('id', '=', created[0] as string).executeTakeFirstOrThrow();
    expect(lou.name).toBe('Lou');
    expect(await identities(created[0] as string)).toEqual([{ kind: 'channel', channel: 'webchat', value: 'opaque:visitor-7' }]);
    expect(await identities(byPhone)).toContainEqual({ kind: 'channel', channel: 'webchat', value: 'opaque:visitor-8' });
    // Nobody was created for the second sender.
    expect(await db().selectFrom('customers').select('id').where('id', '=', created[1] as string).executeTakeFirst()).toBeUndefined();
  });
});
