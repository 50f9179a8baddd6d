import { Registry, collectDefaultMetrics } from 'prom-client';
import { openConfigBucket } from '../config/index.ts';
import { startLiveConfig } from './live-config.ts';
import { syncFolder } from '../../operator/sync-folder.ts';
import { DEFAULT_NATS_URL } from '../bus/index.ts';
import { createLogger, startOpsServer } from '../observability/index.ts';
import { startRouter } from '../router/index.ts';
import { addReportTimeZones, reportMetrics, startReportFolder } from '../reports/index.ts';
import { foldObservers, queueActivityNotifier } from '../supervision/index.ts';
import { startCampaignService } from '../campaigns/index.ts';
import { unsubscribeSecretOf, unsubscribeUrlOf } from './unsubscribe-settings.ts';
import { checkCluster } from './check-cluster.ts';
import { trackConnection } from './nats-status.ts';
import { checkConfigFolder, connectNats, migrateDatabase, openDatabase } from './open-dependencies.ts';
import { readSettings, SettingsError } from './settings.ts';
import { onShutdown } from './shutdown.ts';
import { databaseReady } from './database-ready.ts';
import { watchSchema } from './schema-watch.ts';
import { SchemaTooNewError } from '../store/index.ts';
import { StopStack } from './stop-stack.ts';

/** The `router` process: one routing node against a NATS server and a PostgreSQL server. */
export async function runRouter(): Promise<void> {
  const settings = readSettings();
  const log = createLogger({ component: 'router' });
  if (!settings.databaseUrl?.startsWith('postgres')) {
    throw new SettingsError('the router process needs DATABASE_URL=postgres://… (the embedded database is for `parley up` only)');
  }
  // Signals are handled from the start: SIGTERM while starting stops what was started.
  const stops = new StopStack(log);
  const shutdown = onShutdown(log, () => stops.stop());
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  if (settings.configDir) await checkConfigFolder(settings.configDir);
  const nc = await connectNats(settings.natsUrl, 'parley-router');
  const natsStatus = trackConnection(nc);
  stops.push('NATS connection', () => nc.drain());
  // A router paused mid-transaction (SIGSTOP, a frozen VM) must not hold its partition's
  // fence forever: the server ends such a session, and the next owner's claim goes through.
  const store = await openDatabase({ url: settings.databaseUrl, idleInTransactionTimeoutMs: Math.min(5_000, settings.leaseMs) });
  stops.push('database', () => store.close());
  await migrateDatabase(store, settings.databaseUrl);
  const leaseStore = await openDatabase({ url: settings.databaseUrl, poolSize: 2 });
  stops.push('lease database connections', () => leaseStore.close());
  const clusterId = await checkCluster(nc, store.db, { nats: settings.natsUrl ?? DEFAULT_NATS_URL, database: settings.databaseUrl }, log);
  const bucket = await openConfigBucket(nc);
  // Without an operator (no Kubernetes), a folder of resources can stand in for it.
  if (settings.configDir) log.info('configuration synced from folder', { ...(await syncFolder(settings.configDir, bucket)) });
  const { config, onChange, stop: stopConfig } = await startLiveConfig(bucket, log, registry);
  stops.push('configuration watch', stopConfig);
  const refused = (err: Error) => shutdown.fail(err instanceof SchemaTooNewError ? 'the database schema needs a newer release' : 'the cluster bucket belongs to another database', err);
  const router = await startRouter({ nc, db: store.db, config, registry, logger: log, nodeId: settings.nodeId, partitions: settings.partitions, leaseMs: settings.leaseMs, leaseDb: leaseStore.db, onRefused: refused });
  // A newer release may raise the schema floor under a running router (a rolling upgrade): it stops then.
  const schemaWatch = watchSchema(store.db, log, refused);
  stops.push('schema watch', () => schemaWatch.stop());
  onChange(() => router.configChanged());
  // Every router folds report facts; they share the work (docs/reports.md).
  // Day rows for the configured zones; a zone new to the database is filled from the 15-minute rows first.
  const zonesAdded = await addReportTimeZones(store.db, settings.reportTimeZones);
  if (zonesAdded.length) log.info('report time zones added', { zones: zonesAdded });
  const reports = startReportFolder({ db: store.db, logger: log, metrics: foldObservers(reportMetrics(registry), queueActivityNotifier(nc)), queueSkills: (tenant, queue) => config.queue(tenant, queue)?.skills });
  stops.push('report folder', () => reports.stop());
  // Campaigns run in every router: each one on the owner of its partition.
  const unsubscribeSecret = unsubscribeSecretOf(settings);
  if (!unsubscribeSecret || !settings.publicUrl) log.warn('e-mail campaigns are sent without one-click unsubscribe: set PARLEY_PUBLIC_URL and PARLEY_UNSUBSCRIBE_SECRET');
  const unsubscribeUrl = unsubscribeUrlOf(unsubscribeSecret, () => settings.publicUrl);
  const campaigns = await startCampaignService({ nc, db: store.db, config, host: router.campaigns, unsubscribeUrl, logger: log.child({ component: 'campaigns' }) });
  onChange(() => campaigns.configChanged());
  stops.push('campaigns', () => campaigns.stop());
  const ops = await startOpsServer({
    registry,
    host: settings.host,
    port: settings.opsPort,
    // Ready while it can take work: connected, and a member holding its share (an empty share is fine when others hold everything).
    ready: async () => ({
      nats: natsStatus.connected ? true : 'disconnected (reconnecting)',
      database: await databaseReady(store.db),
      leases: router.healthy() ? true : 'the lease heartbeat has not run for a lease time (stuck, or refused by another database\'s cluster bucket)',
    }),
    live: () => router.healthy(),
    documents: { '/cluster': () => router.cluster() },
  });
  stops.push('ops server', () => ops.close());
  // Stopped first: it hands its partitions over while everything else still works.
  stops.push('router', () => router.stop());
  stops.started();
  log.info('router ready', { ops: ops.url, node: router.nodeId, partitions: router.cluster().owned.length, cluster: clusterId });
}
