import { sql, type Kysely, type Transaction } from 'kysely';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { campaignMachine, type CampaignEvent } from './campaign-machine.ts';
import { CampaignNotFoundError, CampaignStateError, LeaseLostError } from './errors.ts';
import type { CampaignDatabase, CampaignRunRow, CampaignState, ReadyProblem } from './tables.ts';

type Db = Kysely<CampaignDatabase> | Transaction<CampaignDatabase>;
type CampaignSnapshot = SnapshotFrom<typeof campaignMachine>;

/** Creates the campaign's run row (state `scheduled`) unless it exists; keeps the list and channel current. */
export async function ensureCampaignRun(db: Db, campaign: { tenant: string; name: string; listId: string; channel: string }): Promise<CampaignRunRow> {
  const [snapshot] = initialTransition(campaignMachine, { tenant: campaign.tenant, name: campaign.name });
  return db
    .insertInto('campaign_runs')
    .values({
      tenant: campaign.tenant,
      name: campaign.name,
      state: 'scheduled',
      snapshot: JSON.stringify(campaignMachine.getPersistedSnapshot(snapshot)),
      list_id: campaign.listId,
      channel: campaign.channel,
    })
    .onConflict((oc) => oc.columns(['tenant', 'name']).doUpdateSet((eb) => ({ list_id: eb.ref('excluded.list_id'), channel: eb.ref('excluded.channel') })))
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findCampaignRun(db: Db, tenant: string, name: string): Promise<CampaignRunRow | undefined> {
  return db.selectFrom('campaign_runs').selectAll().where('tenant', '=', tenant).where('name', '=', name).executeTakeFirst();
}

/** Records why the campaign cannot run (null: it can). */
export async function setCampaignReady(db: Db, tenant: string, name: string, problem: ReadyProblem | null): Promise<void> {
  await db
    .updateTable('campaign_runs')
    .set({ ready: problem === null ? null : JSON.stringify(problem) })
    .where('tenant', '=', tenant)
    .where('name', '=', name)
    .execute();
}

/**
 * Applies one event to the campaign actor under the row's lock: load → transition → store.
 * Returns the new state; throws `CampaignStateError` when the current state ignores the
 * event (resume a stopped campaign), `CampaignNotFoundError` without a run row.
 */
export async function applyCampaignEvent(db: Kysely<CampaignDatabase>, tenant: string, name: string, event: CampaignEvent, extra: { specPaused?: boolean } = {}): Promise<CampaignState> {
  return db.transaction().execute(async (trx) => {
    const run = await trx.selectFrom('campaign_runs').selectAll().where('tenant', '=', tenant).where('name', '=', name).forUpdate().executeTakeFirst();
    if (!run) throw new CampaignNotFoundError(tenant, name);
    return stepLocked(trx, run, event, extra);
  });
}

/** `applyCampaignEvent` inside a transaction that holds the run row's lock already. */
export async function stepLocked(trx: Transaction<CampaignDatabase>, run: CampaignRunRow, event: CampaignEvent, extra: { specPaused?: boolean } = {}): Promise<CampaignState> {
  const snapshot = campaignMachine.resolveState(run.snapshot as CampaignSnapshot);
  const [next] = transition(campaignMachine, snapshot, event);
  const state = next.value;
  if (state === run.state && extra.specPaused === undefined) {
    throw new CampaignStateError(`campaign ${run.name} is ${run.state}: it cannot ${event.type}`);
  }
  await trx
    .updateTable('campaign_runs')
    .set({
      state,
      snapshot: JSON.stringify(campaignMachine.getPersistedSnapshot(next)),
      updated_at: sql<Date>`now()`,
      ...(extra.specPaused !== undefined && { spec_paused: extra.specPaused }),
    })
    .where('tenant', '=', run.tenant)
    .where('name', '=', run.name)
    .execute();
  return state;
}

/**
 * Takes the campaign's single-writer lease when it is free or expired, bumping the
 * fencing epoch. Returns the epoch to present with every write, or undefined when
 * another process holds a live lease.
 */
export async function claimCampaignLease(db: Db, tenant: string, name: string, owner: string, leaseMs: number): Promise<string | undefined> {
  const row = await db
    .updateTable('campaign_runs')
    .set((eb) => ({ owner, epoch: sql`${eb.ref('epoch')} + 1`, lease_until: sql<Date>`now() + ${leaseMs} * interval '1 millisecond'` }))
    .where('tenant', '=', tenant)
    .where('name', '=', name)
    .where((eb) => eb.or([eb('owner', 'is', null), eb('lease_until', '<', sql<Date>`now()`)]))
    .returning('epoch')
    .executeTakeFirst();
  return row ? String(row.epoch) : undefined;
}

/** Extends a held lease; throws `LeaseLostError` when another process has taken it. */
export async function renewCampaignLease(db: Db, tenant: string, name: string, owner: string, epoch: string, leaseMs: number): Promise<void> {
  const result = await db
    .updateTable('campaign_runs')
    .set({ lease_until: sql<Date>`now() + ${leaseMs} * interval '1 millisecond'` })
    .where('tenant', '=', tenant)
    .where('name', '=', name)
    .where('owner', '=', owner)
    .where('epoch', '=', epoch)
    .where('lease_until', '>', sql<Date>`now()`)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw new LeaseLostError(`the lease of campaign ${tenant}/${name} was taken over`);
}

/** Gives the lease up (a clean stop), so that another process need not wait for it to expire. */
export async function releaseCampaignLease(db: Db, tenant: string, name: string, owner: string, epoch: string): Promise<void> {
  await db.updateTable('campaign_runs').set({ owner: null, lease_until: null }).where('tenant', '=', tenant).where('name', '=', name).where('owner', '=', owner).where('epoch', '=', epoch).execute();
}

/**
 * The fencing check, first statement of every attempt-writing transaction: locks the run
 * row and throws `LeaseLostError` unless this owner still holds the lease at this epoch.
 */
export async function lockHeldRun(trx: Transaction<CampaignDatabase>, tenant: string, name: string, owner: string, epoch: string): Promise<CampaignRunRow> {
  const run = await trx
    .selectFrom('campaign_runs')
    .selectAll()
    .select(sql<boolean>`lease_until > now()`.as('live'))
    .where('tenant', '=', tenant)
    .where('name', '=', name)
    .forUpdate()
    .executeTakeFirst();
  if (!run || run.owner !== owner || String(run.epoch) !== epoch || !run.live) throw new LeaseLostError(`the lease of campaign ${tenant}/${name} was taken over`);
  return run;
}
