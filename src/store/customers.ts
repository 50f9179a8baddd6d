import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Customer } from '../contract/index.ts';
import type { Database } from './database.ts';

type Db = Kysely<Database>;

const E164 = /^\+[1-9]\d{6,14}$/;

export interface IdentityKey {
  kind: 'channel' | 'phone' | 'email';
  channel: string;
  value: string;
}

/** An identity linked to a customer. */
export interface KnownIdentity {
  kind: string;
  channel: string;
  value: string;
  customer_id: string;
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
 * then linked to that customer.
 *
 * `known` is what the caller already read of the identities (see `lookupInbound`): when
 * every identity is linked, that is the answer and nothing is written. Otherwise this
 * takes the identities' advisory locks, which the caller's transaction holds until it
 * ends, and reads them again under the locks.
 */
export async function resolveCustomer(db: Db, tenant: string, channel: string, from: Customer, known?: KnownIdentity[]): Promise<string> {
  const keys = identitiesOf(channel, from);
  const linked = known && customerOf(keys, known);
  if (linked && missingOf(keys, known).length === 0) return linked;

  // Two first messages sharing a phone or e-mail (say SMS and WhatsApp at once) must not
  // create two customers: serialize on the identities, in a fixed order (no deadlocks).
  const lockKeys = keys.map((k) => `${tenant}|${k.kind}|${k.channel}|${k.value}`).sort();
  await sql`select pg_advisory_xact_lock(hashtextextended(key, 0)) from unnest(${lockKeys}::text[]) with ordinality as k(key, n) order by n`.execute(db);
  const current = await db
    .selectFrom('identities')
    .select(['kind', 'channel', 'value', 'customer_id'])
    .where('tenant', '=', tenant)
    .where((eb) => eb.or(keys.map((k) => eb.and([eb('kind', '=', k.kind), eb('channel', '=', k.channel), eb('value', '=', k.value)]))))
    .execute();
  let customerId = customerOf(keys, current);
  if (!customerId) {
    customerId = randomUUID();
    await db.insertInto('customers').values({ id: customerId, tenant, name: from.name ?? null }).execute();
  }
  const missing = missingOf(keys, current);
  if (missing.length > 0) {
    await db
      .insertInto('identities')
      .values(missing.map((k) => ({ tenant, ...k, customer_id: customerId })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  return customerId;
}

/** The customer of the highest-ranked known identity (channel, then phone, then e-mail). */
function customerOf(keys: IdentityKey[], known: KnownIdentity[]): string | undefined {
  const rank = (kind: string) => ['channel', 'phone', 'email'].indexOf(kind);
  const linked = known.filter((r) => keys.some((k) => sameIdentity(k, r)));
  return linked.sort((a, b) => rank(a.kind) - rank(b.kind))[0]?.customer_id;
}

function missingOf(keys: IdentityKey[], known: KnownIdentity[]): IdentityKey[] {
  return keys.filter((k) => !known.some((r) => sameIdentity(k, r)));
}

function sameIdentity(a: IdentityKey, b: KnownIdentity): boolean {
  return a.kind === b.kind && a.channel === b.channel && a.value === b.value;
}
