import { sql, type Kysely } from 'kysely';
import type { ConversationRow, Database } from './database.ts';
import { identityLockKeys, type IdentityKey, type KnownIdentity } from './customers.ts';
import { PREPARED } from './preparing-pool.ts';

type Db = Kysely<Database>;

export interface InboundLookupRequest {
  /** The partition whose fencing epoch is read. */
  partition: number;
  tenant: string;
  channel: string;
  /** The provider's id of the message, for de-duplication. */
  platformMessageId: string;
  /** The sender's identities (see `identitiesOf`). */
  keys: IdentityKey[];
  /** The sender's identity on the channel: the conversation's threading key. */
  externalId: string;
}

export interface InboundLookup {
  /** The partition's epoch in the store, read FOR SHARE (for the transaction's fence). */
  epoch: number | undefined;
  /** The message is already stored (a redelivery). */
  seen: boolean;
  /** Which of the sender's identities are linked to a customer already. */
  known: KnownIdentity[];
  /**
   * Some identity was not linked, so the statement took the identities' advisory locks
   * (`resolveCustomer`'s): the transaction holds them, and its next statement reads the
   * identities under them.
   */
  identitiesLocked: boolean;
  /** The open conversation on this channel for the sender, locked FOR NO KEY UPDATE (see `openActor`). */
  conversation: ConversationRow | undefined;
}

interface LookupRow {
  fence_epoch: string | number | null;
  seen: boolean;
  /** One entry per identity asked for: null when it is not linked to a customer. */
  known: (KnownIdentity | null)[];
  identities_locked: boolean;
  conversation_found: boolean;
}

/**
 * What taking a customer message reads, in one round trip: the fencing epoch, whether
 * the message was stored already, the sender's known identities and its open
 * conversation. A step is mostly round trips to the database, so they are folded. When
 * an identity is not linked yet (a new customer), the same statement takes the
 * identities' advisory locks, which `resolveCustomer` would otherwise take in a round
 * trip of its own: its read must come after the locks, and it does (it is the next
 * statement; this one's reads, from before the locks, only say whether to take them).
 */
export async function lookupInbound(db: Db, req: InboundLookupRequest): Promise<InboundLookup> {
  const { tenant, channel } = req;
  // One primary-key lookup per identity: a plan that stays right as a prepared statement's
  // generic plan, whatever the table's statistics (an IN list of rows may scan the tenant).
  const known = sql.join(
    req.keys.map(
      (k) => sql`(select json_build_object('kind', kind, 'channel', channel, 'value', value, 'customer_id', customer_id)
                 from identities where tenant = ${tenant} and kind = ${k.kind} and channel = ${k.channel} and value = ${k.value})`,
    ),
  );
  const { rows } = await sql<LookupRow & Record<string, unknown>>`${sql.raw(PREPARED)}
    with conversation as (
      select * from conversations
      where tenant = ${tenant} and channel = ${channel} and external_id = ${req.externalId} and state <> 'closed'
      for no key update),
    identities_known as (select json_build_array(${known}) as known),
    locked as (
      select count(*) as n from (
        select pg_advisory_xact_lock(hashtextextended(key, 0)) from unnest(${identityLockKeys(tenant, req.keys)}::text[]) with ordinality as k(key, n)
        where exists (select 1 from json_array_elements((select known from identities_known)) e where json_typeof(e.value) = 'null')
        order by n) l)
    select (select epoch from partition_epochs where partition = ${req.partition} for share) as fence_epoch,
           exists (select 1 from messages where tenant = ${tenant} and channel = ${channel} and platform_message_id = ${req.platformMessageId}) as seen,
           (select known from identities_known) as known,
           (select n from locked) > 0 as identities_locked,
           conversation.id is not null as conversation_found,
           conversation.*
    from (select 1) as one left join conversation on true`.execute(db);
  const { fence_epoch, seen, known: found, identities_locked, conversation_found, ...conversation } = rows[0] as LookupRow & Record<string, unknown>;
  return {
    epoch: fence_epoch === null ? undefined : Number(fence_epoch),
    seen,
    known: found.filter((identity): identity is KnownIdentity => identity !== null),
    identitiesLocked: identities_locked,
    conversation: conversation_found ? (conversation as unknown as ConversationRow) : undefined,
  };
}
