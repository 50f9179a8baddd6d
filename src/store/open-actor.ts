import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { AgentRow, ConversationRow, Database } from './database.ts';
import { PREPARED } from './preparing-pool.ts';
import { agentSnapshot } from './agents.ts';

type Db = Kysely<Database>;

export interface OpenActorRequest {
  /** The actor's kind, as its outbox rows and timers name it. */
  kind: string;
  tenant: string;
  id: string;
  /** The partition whose fencing epoch is read. */
  partition: number;
  /** The event comes from this outbox row: consume it, and tell whether an older one for the actor is still pending. */
  outboxId?: string;
  /** The event comes from this firing timer: consume it. */
  timerId?: string;
}

export interface OpenedActor<Row> {
  /** The partition's epoch in the store, read FOR SHARE (for the transaction's fence). */
  epoch: number | undefined;
  /** The actor's row, locked FOR NO KEY UPDATE; undefined when the actor does not exist. */
  row: Row | undefined;
  /** An older outbox event for the same actor is still pending. */
  earlierPending: boolean;
  /** The origin (outbox row or timer) was still there and is now deleted: false means a redelivery. */
  originConsumed: boolean;
}

interface OpenedRow {
  fence_epoch: string | number | null;
  earlier_pending: boolean;
  origin_consumed: boolean;
  actor_found: boolean;
}

/**
 * Everything an actor step reads before its transition, in one round trip: the fencing
 * epoch (FOR SHARE), the origin consumed (its outbox row or timer deleted), whether an
 * older outbox event for the actor is pending, and the actor's row, locked FOR NO KEY
 * UPDATE: that serializes the actor's steps but lets other transactions' foreign-key
 * checks on the row (an offer recorded for the conversation) through. A step
 * is mostly round trips to the database, so this is the statement its speed rests on.
 * The caller decides on the answers inside the same transaction; rolling it back undoes
 * the origin's deletion.
 */
export async function openActor<Row extends ConversationRow | AgentRow>(db: Db, req: OpenActorRequest & { kind: 'conversation' | 'agent' }): Promise<OpenedActor<Row>> {
  const actor =
    req.kind === 'conversation'
      ? sql`select * from conversations where id = ${req.id} for no key update`
      : sql`select tenant, id, name, presence, updated_at, partition, version, ${agentSnapshot()} as snapshot
            from agents where tenant = ${req.tenant} and id = ${req.id} for no key update of agents`;
  return openActorRow<Row>(db, req, actor);
}

/**
 * `openActor` for a kind whose table the store does not know (a domain's own): `actor`
 * selects its row, with an `id` column, locked FOR NO KEY UPDATE.
 */
export async function openActorRow<Row>(db: Db, req: OpenActorRequest, actor: RawBuilder<unknown>): Promise<OpenedActor<Row>> {
  const { consumed, earlier } = originChecks(req);
  const { rows } = await sql<OpenedRow & Record<string, unknown>>`${sql.raw(PREPARED)}
    with consumed as (${consumed}), actor as (${actor})
    select (select epoch from partition_epochs where partition = ${req.partition} for share) as fence_epoch,
           ${earlier} as earlier_pending,
           exists (select 1 from consumed) as origin_consumed,
           actor.id is not null as actor_found,
           actor.*
    from (select 1) as one left join actor on true`.execute(db);
  const opened = rows[0] as OpenedRow & Record<string, unknown>;
  const { fence_epoch, earlier_pending, origin_consumed, actor_found, ...row } = opened;
  return {
    epoch: fence_epoch === null ? undefined : Number(fence_epoch),
    row: actor_found ? (row as unknown as Row) : undefined,
    earlierPending: earlier_pending,
    originConsumed: origin_consumed,
  };
}

/**
 * The checks of `openActor` for an actor whose state the caller holds in memory (an
 * active actor of the partition it owns): the fencing epoch and the origin consumed, in
 * one small statement, without reading the actor's row.
 */
export async function openOrigin(db: Db, req: OpenActorRequest): Promise<Omit<OpenedActor<never>, 'row'>> {
  const { consumed, earlier } = originChecks(req);
  const { rows } = await sql<Omit<OpenedRow, 'actor_found'>>`${sql.raw(PREPARED)}
    with consumed as (${consumed})
    select (select epoch from partition_epochs where partition = ${req.partition} for share) as fence_epoch,
           ${earlier} as earlier_pending,
           exists (select 1 from consumed) as origin_consumed`.execute(db);
  const { fence_epoch, earlier_pending, origin_consumed } = rows[0] as Omit<OpenedRow, 'actor_found'>;
  return { epoch: fence_epoch === null ? undefined : Number(fence_epoch), earlierPending: earlier_pending, originConsumed: origin_consumed };
}

/** An outbox event an actor held in memory took, to be consumed with the transaction's writes (`consumeOrigins`). */
export interface TakenOrigin {
  outboxId: string;
  kind: string;
  tenant: string;
  id: string;
}

/**
 * Consumes the outbox rows of events that actors held in memory took in a transaction,
 * in one statement (instead of `openOrigin` before each step): `settled` is false when
 * one was consumed already (a redelivery) or when an older event for the same actor was
 * still pending and not taken before it in the transaction. The caller then fails the
 * transaction, and the retry checks each event before its step.
 */
export async function consumeOrigins(db: Db, origins: readonly TakenOrigin[]): Promise<{ settled: boolean }> {
  const { rows } = await sql<{ consumed: string | number; out_of_order: boolean }>`${sql.raw(PREPARED)}
    with o as (
      select * from unnest(${origins.map((o) => o.outboxId)}::bigint[], ${origins.map((o) => o.kind)}::text[], ${origins.map((o) => o.tenant)}::text[], ${origins.map((o) => o.id)}::text[])
        with ordinality as o(id, kind, tenant, target_id, n)),
    consumed as (delete from outbox where id in (select id from o) returning id)
    select (select count(*) from consumed) as consumed,
           exists (select 1 from o join outbox x on x.target_kind = o.kind and x.tenant = o.tenant and x.target_id = o.target_id and x.id < o.id
                   where not exists (select 1 from o p where p.id = x.id and p.n < o.n)) as out_of_order`.execute(db);
  const row = rows[0] as { consumed: string | number; out_of_order: boolean };
  return { settled: Number(row.consumed) === origins.length && !row.out_of_order };
}

/** The origin's deletion (a redelivery deletes nothing) and whether an older outbox event for the actor is still pending. */
function originChecks(req: OpenActorRequest) {
  const consumed = req.outboxId
    ? sql`delete from outbox where id = ${req.outboxId} returning id`
    : req.timerId
      ? sql`delete from timers where id = ${req.timerId} returning id`
      : sql`select 1 as id`;
  const earlier = req.outboxId
    ? sql`exists (select 1 from outbox where target_kind = ${req.kind} and tenant = ${req.tenant} and target_id = ${req.id} and id < ${req.outboxId})`
    : sql`false`;
  return { consumed, earlier };
}
