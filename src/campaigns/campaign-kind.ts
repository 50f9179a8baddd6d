import { sql, type Kysely } from 'kysely';
import type { AnyMachineSnapshot } from 'xstate';
import { campaignPartitionKey } from '../partition/index.ts';
import type { ActiveActor, ActorKind, ActorRow, ActorStepper, Fence, KindOpener, StepResults } from '../runtime/index.ts';
import { openActorRow, openOrigin, type Database, type OpenActorRequest } from '../store/index.ts';
import { campaignMachine, type CampaignContext, type CampaignEvent } from './campaign-machine.ts';
import { campaignPartition, campaignRunSaves, campaignRunWrite, initialCampaign, type CampaignRunIdentity } from './campaign-runs.ts';
import type { CampaignState } from './tables.ts';

type Tx = Kysely<Database>;

/**
 * An event for a campaign's actor, addressed by the campaign (its partition's owner runs
 * it): from the API, or the resource's switches from the campaign service. `resource`:
 * the run row to create with it if the campaign has none yet (declared a moment ago).
 */
export interface CampaignCommand {
  tenant: string;
  name: string;
  event: Exclude<CampaignEvent, { type: 'exhausted' }>;
  resource?: Pick<CampaignRunIdentity, 'listId' | 'channel'> & { paused: boolean };
}

/** What a command did: the state it left the campaign in, that its state refused the event, or that there is no such campaign. */
export type CampaignCommandOutcome = { result: 'done'; state: CampaignState } | { result: 'refused'; state: CampaignState } | { result: 'unknown' };

const KIND = 'campaign';

function load(tx: Tx, request: Omit<OpenActorRequest, 'kind'>) {
  return openActorRow<ActorRow>(
    tx,
    { ...request, kind: KIND },
    sql`select *, name as id from campaign_runs where tenant = ${request.tenant} and name = ${request.id} for no key update`,
  );
}

/** A campaign's actor as a transaction on its partition sees it: from memory, or its row (locked); undefined when it has no row. */
export interface CampaignInTransaction {
  snapshot: AnyMachineSnapshot;
  active?: ActiveActor;
  row?: ActorRow;
}

/** Finds a campaign's actor inside a transaction fenced on its partition. */
export async function campaignIn(tx: Tx, fence: Fence, actors: ActorStepper, tenant: string, name: string): Promise<CampaignInTransaction | undefined> {
  const address = { tenant, id: name, partition: fence.partition };
  const active = actors.activeActor(tx, KIND, address, fence.epoch);
  if (active) return { snapshot: active.snapshot, active };
  // What the transaction's steps wrote so far goes out first: the row is read as they left it.
  await actors.flush(tx);
  const opened = await load(tx, address);
  fence.verify(opened.epoch);
  if (!opened.row) return undefined;
  return { snapshot: campaignMachine.resolveState(opened.row.snapshot as never), row: opened.row };
}

/**
 * Runs an event through a campaign's actor found by `campaignIn`, when its state takes
 * the event; resolves to the state it is in after.
 */
export async function stepCampaign(
  tx: Tx,
  fence: Fence,
  actors: ActorStepper,
  found: CampaignInTransaction,
  event: CampaignEvent,
  results: StepResults,
): Promise<Exclude<CampaignCommandOutcome, { result: 'unknown' }>> {
  const before = String(found.snapshot.value) as CampaignState;
  if (!found.snapshot.can(event)) return { result: 'refused', state: before };
  const { tenant, id } = found.snapshot.context as CampaignContext;
  const target = { kind: KIND, tenant, id, partition: fence.partition, event };
  if (found.active) await actors.stepActive(tx, KIND, found.active, target, results);
  else await actors.stepLoaded(tx, target, found.row, results);
  const after = actors.activeActor(tx, KIND, target, fence.epoch);
  return { result: 'done', state: String(after?.snapshot.value ?? before) as CampaignState };
}

/** Commands for a campaign (`CampaignCommand`), run on the owner of its partition. */
const commands: KindOpener<CampaignCommand, CampaignCommandOutcome> = {
  keyOf: (command) => campaignPartitionKey(command.tenant, command.name),
  async open(tx, fence, command, results, actors) {
    const { tenant, name, resource } = command;
    const event: CampaignEvent = { ...command.event, ...(resource && { specPaused: resource.paused }) };
    const found = await campaignIn(tx, fence, actors, tenant, name);
    if (found) return stepCampaign(tx, fence, actors, found, event, results);
    if (!resource) return { result: 'unknown' };
    // Declared a moment ago, before the campaign service looked at it: its `spec.paused` as it is now counts as applied.
    const initial = initialCampaign(tenant, name, resource.paused);
    if (!initial.can(event)) return { result: 'refused', state: 'scheduled' };
    await actors.create(tx, KIND, { partition: fence.partition, listId: resource.listId, channel: resource.channel }, initial, event, results);
    const after = actors.activeActor(tx, KIND, { tenant, id: name, partition: fence.partition }, fence.epoch);
    return { result: 'done', state: String(after?.snapshot.value ?? 'scheduled') as CampaignState };
  },
};

/**
 * The Campaign actor kind: partitioned by its name's hash; its row is `campaign_runs`
 * (created by the campaign service, or by a command with the resource); its commands
 * come by key (`CampaignCommand`), and its runner (`CampaignRunner`) sends on the
 * partition's owner, in the partition's transactions.
 */
export const campaignKind: ActorKind = {
  kind: KIND,
  machine: campaignMachine,
  partitionOf: (tenant, id, partitions) => campaignPartition(tenant, id, partitions),
  load,
  checkOrigin: (tx, request) => openOrigin(tx, { ...request, kind: KIND }),
  write(writes, next, partition, created) {
    writes.write(campaignRunWrite(next, partition, created as Pick<CampaignRunIdentity, 'listId' | 'channel'> | undefined));
  },
  // No trigger or lookup reads a run's actor columns between steps.
  lastStateOnly: true,
  save: (steps) => campaignRunSaves(steps),
  opener: commands,
  keyOfActor: (snapshot) => {
    const ctx = snapshot.context as CampaignContext;
    return campaignPartitionKey(ctx.tenant, ctx.id);
  },
};
