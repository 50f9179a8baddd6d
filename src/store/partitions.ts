import { sql, type Kysely } from 'kysely';
import { agentPartitionKey, campaignPartitionKey, conversationPartitionKey, partitionOf } from '../partition/index.ts';
import type { Database } from './database.ts';

type Db = Kysely<Database>;

/** What a claim found: whether it recorded its epoch, and the epoch stored now. */
export interface EpochClaim {
  claimed: boolean;
  stored: number;
}

/**
 * Records a node's new lease epoch for a partition, if it is higher than the one stored:
 * every claim stores an epoch of its own, never one an earlier claim used (after the
 * bucket was recreated, lease epochs start over while the store's go on). The update
 * waits for the transactions that hold the partition's row in share mode (the previous
 * owner's writes in flight), and from then on those see the new epoch and fail. Not
 * claimed: the caller must claim above `stored`.
 */
export async function claimEpoch(db: Db, partition: number, epoch: number, owner: string): Promise<EpochClaim> {
  const row = await db
    .insertInto('partition_epochs')
    .values({ partition, epoch, owner })
    .onConflict((oc) =>
      oc.column('partition').doUpdateSet({ epoch, owner, claimed_at: sql`now()` }).where(sql<boolean>`partition_epochs.epoch < excluded.epoch`),
    )
    .returning('epoch')
    .executeTakeFirst();
  if (row) return { claimed: true, stored: Number(row.epoch) };
  const current = await db.selectFrom('partition_epochs').select('epoch').where('partition', '=', partition).executeTakeFirstOrThrow();
  return { claimed: false, stored: Number(current.epoch) };
}

/**
 * The partition's current epoch, share-locked until the transaction ends so that no new
 * owner can take over in between. The first statement of every write transaction.
 */
export async function lockEpoch(tx: Db, partition: number): Promise<number | undefined> {
  return (await lockEpochs(tx, [partition])).get(partition);
}

/** The epochs of partitions, read FOR SHARE (a transaction's fences, see `Fences`); a partition never claimed is absent. */
export async function lockEpochs(tx: Db, partitions: readonly number[]): Promise<Map<number, number>> {
  const rows = await tx.selectFrom('partition_epochs').select(['partition', 'epoch']).where('partition', 'in', partitions).forShare().execute();
  return new Map(rows.map((r) => [r.partition, Number(r.epoch)]));
}

export async function partitionEpochs(db: Db): Promise<{ partition: number; epoch: number; owner: string }[]> {
  const rows = await db.selectFrom('partition_epochs').select(['partition', 'epoch', 'owner']).orderBy('partition').execute();
  return rows.map((r) => ({ ...r, epoch: Number(r.epoch) }));
}

export async function conversationPartition(db: Db, id: string): Promise<number | undefined> {
  const row = await db.selectFrom('conversations').select('partition').where('id', '=', id).executeTakeFirst();
  return row?.partition ?? undefined;
}

export class PartitionCountMismatch extends Error {
  override readonly name = 'PartitionCountMismatch';
}

/**
 * Makes sure the store is partitioned with `count` partitions: the first router records
 * the count and computes the partition of rows written before partitioning existed;
 * a router configured with another count is refused (that change is `repartition`).
 */
export async function ensurePartitioning(db: Db, count: number): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await sql`lock table cluster_settings in exclusive mode`.execute(tx);
    const row = await tx.selectFrom('cluster_settings').select('value').where('name', '=', 'partition_count').executeTakeFirst();
    if (row && Number(row.value) !== count) {
      throw new PartitionCountMismatch(
        `the store is partitioned into ${row.value} partitions, this router is configured for ${count}: stop every router and run \`parley repartition --partitions ${count}\` first`,
      );
    }
    if (!row) await tx.insertInto('cluster_settings').values({ name: 'partition_count', value: String(count) }).execute();
    await assignPartitions(tx, count, { onlyMissing: true });
  });
}

/**
 * Changes the partition count: every actor, timer and outbox row moves to its partition
 * under the new count and the old leases' epochs are kept (so fencing stays monotonic).
 * Every router must be stopped: a running one would write under the old layout.
 */
export async function repartition(db: Db, count: number): Promise<{ conversations: number; agents: number }> {
  return db.transaction().execute(async (tx) => {
    await sql`lock table cluster_settings in exclusive mode`.execute(tx);
    await tx
      .insertInto('cluster_settings')
      .values({ name: 'partition_count', value: String(count) })
      .onConflict((oc) => oc.column('name').doUpdateSet({ value: String(count) }))
      .execute();
    return assignPartitions(tx, count, { onlyMissing: false });
  });
}

async function assignPartitions(tx: Db, count: number, options: { onlyMissing: boolean }): Promise<{ conversations: number; agents: number }> {
  let conversations = 0;
  let agents = 0;
  // Keyset pages, so a large table is not read at once.
  for (let after = '00000000-0000-0000-0000-000000000000'; ; ) {
    let query = tx.selectFrom('conversations').select(['id', 'tenant', 'channel', 'external_id']).where('id', '>', after).orderBy('id').limit(1000);
    if (options.onlyMissing) query = query.where('partition', 'is', null);
    const rows = await query.execute();
    for (const r of rows) {
      await tx.updateTable('conversations').set({ partition: partitionOf(conversationPartitionKey(r.tenant, r.channel, r.external_id), count) }).where('id', '=', r.id).execute();
    }
    conversations += rows.length;
    if (rows.length < 1000) break;
    after = (rows.at(-1) as { id: string }).id;
  }
  let agentQuery = tx.selectFrom('agents').select(['tenant', 'id']);
  if (options.onlyMissing) agentQuery = agentQuery.where('partition', 'is', null);
  for (const r of await agentQuery.execute()) {
    await tx.updateTable('agents').set({ partition: partitionOf(agentPartitionKey(r.tenant, r.id), count) }).where('tenant', '=', r.tenant).where('id', '=', r.id).execute();
    agents++;
  }
  // Campaign runs are the campaigns domain's table (raw SQL: the store does not type it).
  const missingRun = options.onlyMissing ? sql`where partition is null` : sql``;
  const { rows: runs } = await sql<{ tenant: string; name: string }>`select tenant, name from campaign_runs ${missingRun}`.execute(tx);
  for (const r of runs) {
    await sql`update campaign_runs set partition = ${partitionOf(campaignPartitionKey(r.tenant, r.name), count)} where tenant = ${r.tenant} and name = ${r.name}`.execute(tx);
  }
  // Timers follow their actor; an outbox row is retried by the owner of its target (or of partition 0).
  const missing = options.onlyMissing ? sql`and t.partition is null` : sql``;
  await sql`update timers t set partition = c.partition from conversations c where t.actor_kind = 'conversation' and c.id::text = t.actor_id ${missing}`.execute(tx);
  await sql`update timers t set partition = a.partition from agents a where t.actor_kind = 'agent' and a.tenant = t.tenant and a.id = t.actor_id ${missing}`.execute(tx);
  const missingOutbox = options.onlyMissing ? sql`and o.partition is null` : sql``;
  await sql`update outbox o set partition = c.partition from conversations c where o.target_kind = 'conversation' and c.id::text = o.target_id ${missingOutbox}`.execute(tx);
  await sql`update outbox o set partition = a.partition from agents a where o.target_kind = 'agent' and a.tenant = o.tenant and a.id = o.target_id ${missingOutbox}`.execute(tx);
  // Publish rows, and rows whose target no longer exists, go to partition 0's owner.
  const leftOver = options.onlyMissing ? sql`partition is null` : sql`partition is null or target_kind is null or partition >= ${count}`;
  await sql`update outbox set partition = 0 where ${leftOver}`.execute(tx);
  return { conversations, agents };
}
