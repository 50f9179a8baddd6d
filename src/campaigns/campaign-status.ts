import type { Kysely } from 'kysely';
import type { CampaignStatusReport } from '../config/index.ts';
import type { Database } from '../store/index.ts';
import { campaignProgress } from './attempts.ts';
import { findCampaignRun } from './campaign-runs.ts';
import type { CampaignContext } from './campaign-machine.ts';
import { campaignDb } from './tables.ts';

/**
 * A campaign's status as its run row and attempts say it: state, why it cannot run,
 * progress, start and end. Undefined when no campaign process has seen the Campaign yet.
 * The one reading of status that the resource's `status` (through the operator) and the
 * HTTP API share.
 */
export async function readCampaignStatus(db: Kysely<Database>, tenant: string, name: string): Promise<CampaignStatusReport | undefined> {
  const cdb = campaignDb(db);
  const run = await findCampaignRun(cdb, tenant, name);
  if (!run) return undefined;
  const progress = await campaignProgress(cdb, tenant, name, run.list_id);
  const context = (run.snapshot as { context?: Partial<CampaignContext> } | null)?.context;
  return {
    tenant,
    name,
    state: run.state,
    problem: run.ready,
    progress,
    startedAt: context?.startedAt ?? null,
    endedAt: context?.endedAt ?? null,
  };
}
