import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Customer } from '../contract/index.ts';
import type { Database } from './database.ts';
import { PREPARED } from './preparing-pool.ts';
import type { StepWrites } from './step-writes.ts';

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
 * ends — unless the caller took them already (`locked`: `lookupInbound` does when an
 * identity is not linked) — then reads them again under the locks and writes what is
 * missing — the customer if none is linked, the identities not linked — in one statement
 * (`linkCustomers`): one round trip for a new customer after the lookup, where a lock, a
 * read and two inserts were four.
 */
export async function resolveCustomer(db: Db, tenant: string, channel: string, from: Customer, known?: KnownIdentity[], locked = false): Promise<string> {
  const keys = identitiesOf(channel, from);
  const linked = known && customerOf(keys, known);
  if (linked && missingOf(keys, known).length === 0) return linked;

  // Two first messages sharing a phone or e-mail (say SMS and WhatsApp at once) must not
  // create two customers: serialize on the identities, in a fixed order (no deadlocks).
  // The lock is taken in an earlier statement than the read: a statement reads the
  // database as it was when it started.
  if (!locked) {
    await sql`select pg_advisory_xact_lock(hashtextextended(key, 0)) from unnest(${identityLockKeys(tenant, keys)}::text[]) with ordinality as k(key, n) order by n`.execute(db);
  }
  return (await linkCustomers(db, [{ tenant, keys, created: { id: randomUUID(), name: from.name ?? null } }]))[0] as string;
}

/**
 * A new customer for a sender none of whose identities is linked, written with a step's
 * other writes (`StepWrites.insertCustomer`) instead of in a statement of its own
 * (`linkCustomers`): one round trip less for a new customer. For a caller whose lookup
 * (`lookupInbound`) found every identity unlinked and took their locks. That lookup read
 * the identities before it took the locks: if a transaction that held them linked one
 * meanwhile, the step's statement fails on the identities' key, a write race the host
 * runs again, and the retry's lookup sees the link.
 */
export function linkNewCustomer(writes: StepWrites, tenant: string, keys: readonly IdentityKey[], created: { id: string; name: string | null }): void {
  writes.insertCustomer(
    { id: created.id, tenant, name: created.name },
    keys.map((k) => ({ tenant, kind: k.kind, channel: k.channel, value: k.value, customer_id: created.id })),
  );
}

/** The advisory lock keys of a sender's identities, in the order they are locked. */
export function identityLockKeys(tenant: string, keys: readonly IdentityKey[]): string[] {
  return keys.map((k) => `${tenant}|${k.kind}|${k.channel}|${k.value}`).sort();
}

/** A sender to recognize in `linkCustomers`: its identities (ranked, as `identitiesOf` gives them), and the customer to create if none is linked. */
export interface CustomerLink {
  tenant: string;
  keys: IdentityKey[];
  created: { id: string; name: string | null };
}

/**
 * Under the identities' locks, in one statement for many senders: each one's customer,
 * in order — that of its highest-ranked identity already linked (`keys` come ranked:
 * channel, phone, e-mail), else `created`, inserted — and the links of the identities not
 * linked yet. Foreign keys are checked at the end of the statement, so a new customer and
 * its identities go together. The caller holds the identities' advisory locks, and no
 * two senders share an identity (a statement does not see its own inserts: the second
 * would create a second customer). The rows travel as JSON, so the text is the same for
 * any count; each identity is read by its key (a scalar subquery: the generic plan stays
 * on the index).
 */
export async function linkCustomers(db: Db, links: readonly CustomerLink[]): Promise<string[]> {
  const senders = links.map((l, n) => ({ n, tenant: l.tenant, created_id: l.created.id, name: l.created.name }));
  const keys = links.flatMap((l, n) => l.keys.map((k, rank) => ({ n, rank, tenant: l.tenant, kind: k.kind, channel: k.channel, value: k.value })));
  const { rows } = await sql<{ n: number; customer_id: string }>`${sql.raw(PREPARED)}
    with sender as (
      select * from jsonb_to_recordset(${JSON.stringify(senders)}::jsonb) as s(n int, tenant text, created_id uuid, name text)),
    current as (
      select k.n, k.rank, k.tenant, k.kind, k.channel, k.value,
             (select customer_id from identities i where i.tenant = k.tenant and i.kind = k.kind and i.channel = k.channel and i.value = k.value) as customer_id
      from jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) as k(n int, rank int, tenant text, kind text, channel text, value text)),
    -- Each sender's best-ranked linked identity, in one pass (not a subquery per sender).
    best as (
      select distinct on (n) n, customer_id from current where customer_id is not null order by n, rank),
    chosen as (
      select s.n, s.tenant, s.created_id, s.name, best.customer_id as linked
      from sender s left join best on best.n = s.n),
    new_customers as (
      insert into customers (id, tenant, name) select created_id, tenant, name from chosen where linked is null),
    linked as (
      insert into identities (tenant, kind, channel, value, customer_id)
      select c.tenant, c.kind, c.channel, c.value, coalesce(s.linked, s.created_id) from current c join chosen s on s.n = c.n
      where c.customer_id is null
      on conflict do nothing)
    select n, coalesce(linked, created_id) as customer_id from chosen order by n`.execute(db);
  return rows.map((r) => r.customer_id);
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
