import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Customer } from '../contract/index.ts';
import type { Database } from './database.ts';

type Db = Kysely<Database>;

const E164 = /^\+[1-9]\d{6,14}$/;

interface IdentityKey {
  kind: 'channel' | 'phone' | 'email';
  channel: string;
  value: string;
}

/**
 * The identities a message's sender proves: its id on the channel, plus any phone or
 * e-mail that link it to the same customer on other channels.
 */
export function identitiesOf(channel: string, from: Customer): IdentityKey[] {
  const keys: IdentityKey[] = [{ kind: 'channel', channel, value: `${from.idType}:${from.id}` }];
  // Only an E.164 number links channels: `0612…` on one and `+33612…` on another would not match anyway.
  const phone = from.phone ?? (from.idType === 'phone' && E164.test(from.id) ? from.id : undefined);
  const email = from.email ?? (from.idType === 'email' ? from.id : undefined);
  if (phone) keys.push({ kind: 'phone', channel: '', value: phone });
  if (email) keys.push({ kind: 'email', channel: '', value: email.toLowerCase() });
  return keys;
}

/**
 * Recognizes the sender: the customer already linked to any of its identities (the
 * channel identity first, then phone, then e-mail), or a new customer. Every identity is
 * then linked to that customer. Runs inside the caller's transaction, which holds the
 * identities' advisory locks until it ends.
 */
export async function resolveCustomer(db: Db, tenant: string, channel: string, from: Customer): Promise<string> {
  const keys = identitiesOf(channel, from);
  // Two first messages sharing a phone or e-mail (say SMS and WhatsApp at once) must not
  // create two customers: serialize on the identities, in a fixed order (no deadlocks).
  const lockKeys = keys.map((k) => `${tenant}|${k.kind}|${k.channel}|${k.value}`).sort();
  for (const key of lockKeys) await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(db);
  const known = await db
    .selectFrom('identities')
    .select(['kind', 'channel', 'value', 'customer_id'])
    .where('tenant', '=', tenant)
    .where((eb) => eb.or(keys.map((k) => eb.and([eb('kind', '=', k.kind), eb('channel', '=', k.channel), eb('value', '=', k.value)]))))
    .execute();
  const rank = (kind: string) => ['channel', 'phone', 'email'].indexOf(kind);
  known.sort((a, b) => rank(a.kind) - rank(b.kind));
  let customerId = known[0]?.customer_id;
  if (!customerId) {
    customerId = randomUUID();
    await db.insertInto('customers').values({ id: customerId, tenant, name: from.name ?? null }).execute();
  }
  const missing = keys.filter((k) => !known.some((r) => r.kind === k.kind && r.channel === k.channel && r.value === k.value));
  if (missing.length > 0) {
    await db
      .insertInto('identities')
      .values(missing.map((k) => ({ tenant, ...k, customer_id: customerId })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  return customerId;
}
