import {
  campaignDb,
  campaignProgress,
  CampaignNotFoundError,
  exportCampaignOutcomes,
  findCampaignRun,
  prepareCampaign,
  sendCampaignCommand,
  type CampaignProgress,
  type CampaignState,
} from '../campaigns/index.ts';
import type { CampaignConfig } from '../config/index.ts';
import { ParleyError } from '../contract/index.ts';
import { requireContactList } from '../contacts/index.ts';
import { FileDownload } from './download.ts';
import { HttpProblem } from './http-errors.ts';
import { translated } from './outbound-errors.ts';
import { CampaignParams, param, requireStaff } from './outbound-params.ts';
import type { RouteContext, RouteSpec } from './routes.ts';

/**
 * Campaigns over HTTP (docs/campaigns.md §7). A Campaign is declared as a resource (the
 * operator or a config folder); these routes read its run and send its actor the events
 * start, pause, resume and stop, through a router to the owner of the campaign's
 * partition (`sendCampaignCommand`), where the actor lives. The resource's switches
 * apply when they change, so the API's last word stands until someone edits the resource.
 */

export interface CampaignStatusView {
  name: string;
  state: CampaignState;
  /** Whether it can run; when not, why (ListNotFound, ChannelNotFound, InvalidTemplate, UnsupportedChannel). */
  ready: { ok: true } | { ok: false; reason: string; message: string };
  listId: string;
  channel: string;
  /** The resource's `spec.paused`, as declared. */
  pausedInResource: boolean | null;
  startedAt: string | null;
  endedAt: string | null;
  updatedAt: string | null;
  progress: CampaignProgress;
}

const Actions = ['start', 'pause', 'resume', 'stop'] as const;
type Action = (typeof Actions)[number];

const staff = <T>(handler: (ctx: RouteContext) => Promise<T>) =>
  translated(async (ctx) => {
    requireStaff(ctx);
    return handler(ctx);
  });

function resource(ctx: RouteContext, name: string): CampaignConfig | undefined {
  return ctx.deps.config?.campaign(ctx.claims.tenant, name);
}

async function statusOf(ctx: RouteContext, name: string, options: { live: boolean }): Promise<CampaignStatusView> {
  const { tenant } = ctx.claims;
  const db = campaignDb(ctx.deps.db);
  const campaign = resource(ctx, name);
  const run = await findCampaignRun(db, tenant, name);
  if (!campaign && !run) throw new CampaignNotFoundError(tenant, name);
  const listId = campaign?.spec.contacts.listId ?? run!.list_id;
  let ready: CampaignStatusView['ready'] = run?.ready ? { ok: false, ...run.ready } : { ok: true };
  // The campaign service writes `ready` every few seconds; a status someone asks for says it as of now.
  if (options.live && campaign && ctx.deps.config) {
    const preparation = await prepareCampaign(ctx.deps.db, ctx.deps.config, campaign);
    ready = preparation.ok ? { ok: true } : { ok: false, ...preparation.problem };
  }
  const context = (run?.snapshot as { context?: { startedAt?: string | null; endedAt?: string | null } } | undefined)?.context;
  return {
    name,
    state: run?.state ?? 'scheduled',
    ready,
    listId,
    channel: campaign?.spec.channel ?? run!.channel,
    pausedInResource: campaign?.spec.paused ?? null,
    startedAt: context?.startedAt ?? null,
    endedAt: context?.endedAt ?? null,
    updatedAt: run?.updated_at.toISOString() ?? null,
    progress: await campaignProgress(db, tenant, name, listId),
  };
}

/** Sends the campaign's actor one event; `start` and `resume` first check that it can run. */
async function act(ctx: RouteContext, action: Action): Promise<CampaignStatusView> {
  const { tenant } = ctx.claims;
  const name = param(ctx, 'name');
  const campaign = resource(ctx, name);
  if (action === 'start' || action === 'resume') {
    if (!ctx.deps.config) throw new ParleyError('unavailable', 'the gateway has no live configuration to check the campaign against');
    if (!campaign) throw new CampaignNotFoundError(tenant, name);
    const preparation = await prepareCampaign(ctx.deps.db, ctx.deps.config, campaign);
    if (!preparation.ok) throw new HttpProblem('campaignNotReady', `${preparation.problem.reason}: ${preparation.problem.message}`);
  }
  // Neither declared nor run: no router need be asked.
  if (!campaign && !(await findCampaignRun(campaignDb(ctx.deps.db), tenant, name))) throw new CampaignNotFoundError(tenant, name);
  // A campaign declared a moment ago, before the campaign service looked at it, is
  // created with the command: the resource's `spec.paused` as it is now counts as applied,
  // so that the service's first look does not undo this call with a value that did not change.
  const created = campaign && { listId: campaign.spec.contacts.listId, channel: campaign.spec.channel, paused: campaign.spec.paused };
  await sendCampaignCommand(ctx.deps.nc, { tenant, name, event: { type: action, at: new Date().toISOString() }, ...(created && { resource: created }) });
  return statusOf(ctx, name, { live: false });
}

export const campaignRoutes: RouteSpec[] = [
  {
    method: 'GET',
    url: '/v1/campaigns',
    auth: 'bearer',
    handler: staff(async (ctx) => {
      const { tenant } = ctx.claims;
      const declared = (ctx.deps.config?.allCampaigns() ?? []).filter((c) => c.tenant === tenant).map((c) => c.name);
      const runs = await campaignDb(ctx.deps.db).selectFrom('campaign_runs').select('name').where('tenant', '=', tenant).execute();
      const names = [...new Set([...declared, ...runs.map((r) => r.name)])].sort();
      return { campaigns: await Promise.all(names.map((name) => statusOf(ctx, name, { live: false }))) };
    }),
  },
  {
    method: 'GET',
    url: '/v1/campaigns/:name',
    auth: 'bearer',
    params: CampaignParams,
    handler: staff((ctx) => statusOf(ctx, param(ctx, 'name'), { live: true })),
  },
  ...Actions.map(
    (action): RouteSpec => ({
      method: 'POST',
      url: `/v1/campaigns/:name/${action}`,
      auth: 'bearer',
      params: CampaignParams,
      handler: staff((ctx) => act(ctx, action)),
    }),
  ),
  {
    method: 'GET',
    url: '/v1/campaigns/:name/export',
    auth: 'bearer',
    params: CampaignParams,
    handler: staff(async (ctx) => {
      const { tenant } = ctx.claims;
      const name = param(ctx, 'name');
      const status = await statusOf(ctx, name, { live: false });
      await requireContactList(ctx.deps.db, tenant, status.listId);
      return new FileDownload(`campaign-${name}.csv`, 'text/csv; charset=utf-8', exportCampaignOutcomes(ctx.deps.db, tenant, name, status.listId));
    }),
  },
];
