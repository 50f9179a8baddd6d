import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { AnyMachineSnapshot } from 'xstate';
import { campaignPartitionKey, partitionOf } from '../partition/index.ts';
import { pureInitialTransition } from '../runtime/index.ts';
import { campaignMachine, type CampaignContext } from './campaign-machine.ts';
import type { CampaignDatabase, CampaignRunRow, ReadyProblem } from './tables.ts';

type Db = Kysely<CampaignDatabase> | Transaction<CampaignDatabase>;

/** The partition a campaign's actor and runner live in. */
export function campaignPartition(tenant: string, name: string, partitions: number): number {
  return partitionOf(campaignPartitionKey(tenant, name), partitions);
}

/** What a campaign's run row is created with, besides its actor's state: the resource's list and channel. */
export interface CampaignRunIdentity {
  tenant: string;
  name: string;
  listId: string;
  channel: string;
  partition: number;
}

/** The first snapshot of a campaign's actor (`specPaused`: the resource's `spec.paused`, if it counts as applied already). */
export function initialCampaign(tenant: string, name: string, specPaused: boolean | null = null): AnyMachineSnapshot {
  return pureInitialTransition(campaignMachine, { tenant, name, specPaused })[0];
}

/**
 * Creates the campaign's run row (state `scheduled`) unless it exists; keeps the list
 * and channel current. Only a new row gets an actor state: an existing one's belongs to
 * its actor (`campaignKind`), written by the owner of its partition alone. Its campaign
 * service looks at the campaign every few seconds: a row that is current is only read,
 * neither written (a new row version each time) nor locked (the runner's batches lock it).
 */
export async function ensureCampaignRun(db: Db, campaign: CampaignRunIdentity): Promise<CampaignRunRow> {
  const { tenant, name, listId, channel } = campaign;
  const found = await findCampaignRun(db, tenant, name);
  if (found) {
    if (found.list_id === listId && found.channel === channel) return found;
    const updated = await db.updateTable('campaign_runs').set({ list_id: listId, channel }).where('tenant', '=', tenant).where('name', '=', name).returningAll().executeTakeFirst();
    if (updated) return updated;
  }
  const snapshot = initialCampaign(tenant, name);
  const inserted = await db
    .insertInto('campaign_runs')
    .values({
      tenant,
      name,
      state: 'scheduled',
      snapshot: JSON.stringify(campaignMachine.getPersistedSnapshot(snapshot as never)),
      list_id: listId,
      channel,
      partition: campaign.partition,
    })
    // Created meanwhile (another process's scan, or a command with the resource): that row stands.
    .onConflict((oc) => oc.columns(['tenant', 'name']).doNothing())
    .returningAll()
    .executeTakeFirst();
  return inserted ?? ensureCampaignRun(db, campaign);
}

export async function findCampaignRun(db: Db, tenant: string, name: string): Promise<CampaignRunRow | undefined> {
  return db.selectFrom('campaign_runs').selectAll().where('tenant', '=', tenant).where('name', '=', name).executeTakeFirst();
}

/** Records why the campaign cannot run (null: it can), unless the row says so already (`run`, as just read). */
export async function setCampaignReady(db: Db, run: Pick<CampaignRunRow, 'tenant' | 'name' | 'ready'>, problem: ReadyProblem | null): Promise<void> {
  if (sameProblem(run.ready, problem)) return;
  await db
    .updateTable('campaign_runs')
    .set({ ready: problem === null ? null : JSON.stringify(problem) })
    .where('tenant', '=', run.tenant)
    .where('name', '=', run.name)
    .execute();
}

const sameProblem = (a: ReadyProblem | null, b: ReadyProblem | null) => a?.reason === b?.reason && a?.message === b?.message;

/** The run rows of a partition's campaigns that may send (running, or paused and to be watched). */
export async function liveCampaignsIn(db: Db, partition: number): Promise<{ tenant: string; name: string }[]> {
  return db.selectFrom('campaign_runs').select(['tenant', 'name']).where('partition', '=', partition).where('state', 'in', ['running', 'paused']).execute();
}

/** The write of a campaign actor's stepped snapshot, whose row its transaction read and locked (it raises the version); or the insert of a new one. */
export function campaignRunWrite(next: AnyMachineSnapshot, partition: number, created?: Pick<CampaignRunIdentity, 'listId' | 'channel'>): RawBuilder<unknown> {
  const ctx = next.context as CampaignContext;
  const snapshot = JSON.stringify(campaignMachine.getPersistedSnapshot(next as never));
  const state = String(next.value);
  if (created) {
    return sql`insert into campaign_runs (tenant, name, state, snapshot, list_id, channel, partition, spec_paused)
               values (${ctx.tenant}, ${ctx.id}, ${state}, ${snapshot}::jsonb, ${created.listId}, ${created.channel}, ${partition}, ${ctx.specPaused})`;
  }
  return sql`update campaign_runs set state = ${state}, snapshot = ${snapshot}::jsonb, spec_paused = ${ctx.specPaused}, updated_at = now(), version = version + 1
             where tenant = ${ctx.tenant} and name = ${ctx.id}`;
}

/**
 * The write of campaign actors' snapshots held in memory, as one UPDATE, each a
 * compare-and-set on its version, which it raises, returning one row per row written (as
 * `conversationSaves` in the store).
 */
export function campaignRunSaves(steps: readonly { next: AnyMachineSnapshot; snapshot: string; version: number }[]): RawBuilder<unknown> {
  const rows = steps.map(({ next, snapshot, version }) => {
    const ctx = next.context as CampaignContext;
    return `{"tenant":${JSON.stringify(ctx.tenant)},"name":${JSON.stringify(ctx.id)},"version":${version},"state":${JSON.stringify(String(next.value))},"spec_paused":${JSON.stringify(ctx.specPaused)},"snapshot":${snapshot}}`;
  });
  return sql`
    update campaign_runs r
    set state = v.state, snapshot = v.snapshot, spec_paused = v.spec_paused, updated_at = now(), version = r.version + 1
    from jsonb_to_recordset(${`[${rows.join(',')}]`}::jsonb) as v(tenant text, name text, version integer, state text, spec_paused boolean, snapshot jsonb)
    where r.tenant = v.tenant and r.name = v.name and r.version = v.version
    returning 1`;
}
