import type { NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import type { ConsumeLoop } from '../bus/index.ts';
import { openCampaignStatusBucket, type CampaignConfig, type ConfigRegistry } from '../config/index.ts';
import type { Logger } from '../observability/index.ts';
import type { Database } from '../store/index.ts';
import { startCampaignReceipts } from './campaign-receipts.ts';
import { CampaignRunner, type CampaignRunnerOptions, type RunEnd } from './campaign-runner.ts';
import type { CampaignHost } from './campaign-host.ts';
import { campaignPartition, ensureCampaignRun, setCampaignReady } from './campaign-runs.ts';
import { startCampaignReplyBot } from './campaign-reply-bot.ts';
import { CampaignStatusPublisher } from './campaign-status-publisher.ts';
import { prepareCampaign, type PreparedCampaign } from './prepared-campaign.ts';
import { campaignDb, type CampaignRunRow } from './tables.ts';

export interface CampaignServiceOptions {
  nc: NatsConnection;
  db: Kysely<Database>;
  config: ConfigRegistry;
  /** The partition runtime of this process (a router's `campaigns`): campaigns run on the owners of their partitions. */
  host: CampaignHost;
  /** How often campaigns are looked at (new ones, partitions taken over, resource changes). @default 2000 */
  scanMs?: number;
  /** @default 200 */
  tickMs?: number;
  /** How long a run with nothing to do (paused, or waiting for windows to open) waits at most before it looks again (see `CampaignRunnerOptions`). @default 5000 */
  idleCheckMs?: number;
  /** Contacts decided per transaction at most. @default 1000 */
  maxBatch?: number;
  /** Batches awaiting their PubAcks at once per campaign. @default 2 */
  maxInFlight?: number;
  /** The clock quiet hours are judged by. @default the system clock */
  now?: () => Date;
  /** Report each campaign's status to the campaign status bucket (for the operator). @default true */
  reportStatus?: boolean;
  /** At most one status report per campaign this often. @default 5000 */
  statusEveryMs?: number;
  /** Answer replies to campaigns without a reply queue by their keyword rules (the router asks). @default true */
  replyBot?: boolean;
  /** E-mail campaigns: each recipient's one-click unsubscribe URL (`unsubscribeLinks`). @default none */
  unsubscribeUrl?: CampaignRunnerOptions['unsubscribeUrl'];
  /** Read delivery receipts for campaign attempts (one durable consumer shared by all processes). @default true */
  receipts?: boolean;
  logger?: Logger | undefined;
}

export interface CampaignService {
  /** Look again now (the configuration changed). */
  configChanged(): void;
  /** Looks at every campaign now, as every `scanMs`; resolves once done. */
  scan(): Promise<void>;
  /** What each campaign's last run ended with, for tests and the ops page. */
  lastEnd(tenant: string, name: string): RunEnd | undefined;
  /** Stops the runners and the receipts consumer. */
  stop(): Promise<void>;
}

const key = (c: { tenant: string; name: string }) => `${c.tenant}/${c.name}`;

/**
 * Runs the campaigns of the live configuration: keeps a run row per Campaign, reports
 * why one cannot run (missing list or channel, bad template), sends each campaign's
 * actor the resource's switches (`spec.paused`, `spec.stopped`) when they changed since
 * last applied, runs them, and reports their status to the campaign status bucket, for
 * the operator: each for the campaigns of the partitions this process owns; answers replies to
 * campaigns without a reply queue (`campaign-reply-bot.ts`). Started by the router
 * process and by `parley up`, over their partition runtime: each campaign is run by the
 * owner of its partition, and moves with it.
 */
export async function startCampaignService(options: CampaignServiceOptions): Promise<CampaignService> {
  const { host } = options;
  const db = campaignDb(options.db);
  const scanMs = options.scanMs ?? 2_000;
  const running = new Map<string, { runner: CampaignRunner; done: Promise<void> }>();
  const prepared = new Map<string, PreparedCampaign>();
  const ends = new Map<string, RunEnd>();
  const owns = (tenant: string, name: string) => host.owns(campaignPartition(tenant, name, host.partitions));
  const receipts: ConsumeLoop | undefined = options.receipts === false ? undefined : await startCampaignReceipts(options.nc, options.db, options.logger);
  const status =
    options.reportStatus === false
      ? undefined
      : new CampaignStatusPublisher(await openCampaignStatusBucket(options.nc), options.db, { owns, ...(options.statusEveryMs !== undefined && { everyMs: options.statusEveryMs }) });
  const replyBot = options.replyBot === false ? undefined : startCampaignReplyBot(options.nc, options.config, options.logger);
  let stopped = false;
  // A paused run waits for its actor to change state; the change is committed here, where the run is.
  const unsubscribe = host.onStateChange((tenant, name) => running.get(key({ tenant, name }))?.runner.stateChanged());
  let scanning: Promise<void> = Promise.resolve();
  let again = false;

  /** Only the owner of a campaign's partition looks at it: the others would read and decide the same, for nothing. */
  async function look(campaign: CampaignConfig): Promise<void> {
    if (!owns(campaign.tenant, campaign.name)) return;
    await runCampaign(campaign);
    await status?.publish(campaign.tenant, campaign.name);
  }

  async function runCampaign(campaign: CampaignConfig): Promise<void> {
    const id = key(campaign);
    const { tenant, name } = campaign;
    const partition = campaignPartition(tenant, name, host.partitions);
    const run = await ensureCampaignRun(db, { tenant, name, listId: campaign.spec.contacts.listId, channel: campaign.spec.channel, partition });
    // Over for good: nothing more to prepare or apply (its status is still reported).
    if (run.state === 'completed' || run.state === 'stopped') {
      prepared.delete(id);
      return;
    }
    const preparation = await prepareCampaign(options.db, options.config, campaign);
    await setCampaignReady(db, run, preparation.ok ? null : preparation.problem);
    if (!preparation.ok) {
      prepared.delete(id);
      return;
    }
    prepared.set(id, preparation.prepared);
    const state = await applySpec(run, campaign);
    if ((state === 'running' || state === 'paused') && host.owns(partition) && !running.has(id) && !stopped) {
      const runner = new CampaignRunner(tenant, name, {
        nc: options.nc,
        db: options.db,
        host,
        prepared: () => prepared.get(id),
        tickMs: options.tickMs,
        idleCheckMs: options.idleCheckMs,
        maxBatch: options.maxBatch,
        maxInFlight: options.maxInFlight,
        now: options.now,
        unsubscribeUrl: options.unsubscribeUrl,
        logger: options.logger,
      });
      const done = runner.run().then(
        (end) => {
          ends.set(id, end);
          options.logger?.info('campaign run ended', { tenant, campaign: name, end });
        },
        (err: unknown) => options.logger?.error('campaign run failed', { tenant, campaign: name, error: String(err) }),
      );
      running.set(id, { runner, done: done.finally(() => running.delete(id)) });
    }
  }

  /**
   * The resource's switches, sent to the campaign's actor when they changed since last
   * applied (the actor decides: the API may have switched in between). The owner's
   * service sends them; one sent twice (a hand-over between two looks) is applied once.
   */
  async function applySpec(run: CampaignRunRow, campaign: CampaignConfig): Promise<string> {
    const { paused, stopped: stop } = campaign.spec;
    const live = run.state !== 'stopped' && run.state !== 'completed';
    if (!live || (run.spec_paused === paused && !stop)) return run.state;
    const outcome = await host.command({ tenant: run.tenant, name: run.name, event: { type: 'spec', at: new Date().toISOString(), paused, stopped: stop } });
    return outcome.result === 'unknown' ? run.state : outcome.state;
  }

  async function scan(): Promise<void> {
    for (const campaign of options.config.allCampaigns()) {
      if (stopped) return;
      try {
        await look(campaign);
      } catch (err) {
        options.logger?.warn('campaign check failed', { tenant: campaign.tenant, campaign: campaign.name, error: String(err) });
      }
    }
  }

  /** A scan after the one running, if any; resolves once it is done (a scan already due is the one). */
  const trigger = (): Promise<void> => {
    if (again || stopped) return scanning;
    again = true;
    scanning = scanning.then(() => {
      again = false;
      return scan();
    });
    return scanning;
  };
  void trigger();
  const timer = setInterval(() => void trigger(), scanMs);

  return {
    configChanged: () => void trigger(),
    scan: trigger,
    lastEnd: (tenant, name) => ends.get(key({ tenant, name })),
    async stop() {
      stopped = true;
      clearInterval(timer);
      unsubscribe();
      await scanning;
      for (const { runner } of running.values()) runner.shutDown();
      await Promise.all([...running.values()].map((r) => r.done));
      await receipts?.stop();
      await replyBot?.stop();
    },
  };
}
