import { join, resolve } from 'node:path';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { openConfigBucket } from '../config/index.ts';
import { configChangesCounter } from './config-metrics.ts';
import { startLiveConfig } from './live-config.ts';
import { syncFolder, watchFolder } from '../../operator/sync-folder.ts';
import { startGateway } from '../gateway/index.ts';
import { addReportTimeZones, reportMetrics, startReportFolder } from '../reports/index.ts';
import { foldObservers, queueActivityNotifier } from '../supervision/index.ts';
import { createTokenVerifier } from '../auth/index.ts';
import { createLogger, startOpsServer } from '../observability/index.ts';
import { startRouter } from '../router/index.ts';
import { startCampaignService } from '../campaigns/index.ts';
import { unsubscribeSecretOf, unsubscribeUrlOf } from './unsubscribe-settings.ts';
import { agentAttachmentOptions } from './attachment-settings.ts';
import { fileSecrets, startChannelService } from '../channel-service/index.ts';
import { keywordHook, suppressionCheck } from '../compliance/index.ts';
import { startEmbeddedNats, type EmbeddedNats } from './embedded-nats.ts';
import { gatewayEdgeOptions, gatewayReadiness } from './gateway-from-settings.ts';
import { checkCluster } from './check-cluster.ts';
import { checkConfigFolder, connectNats, migrateDatabase, openDatabase } from './open-dependencies.ts';
import { readSettings } from './settings.ts';
import { onShutdown } from './shutdown.ts';
import { StopStack } from './stop-stack.ts';
import { channelsMediaOptions } from './channels-from-settings.ts';
import { localSecret, readUpState, removeUpState, upStateFile, writeUpState } from './up-state.ts';

/**
 * `parley up`: every role in one process on embedded defaults — a nats-server started
 * from PATH unless NATS_URL is set, PostgreSQL in-process (PGlite) unless DATABASE_URL
 * is set, configuration from a folder of YAML resources.
 */
export async function runUp(options: { dataDir?: string } = {}): Promise<void> {
  const settings = readSettings();
  const log = createLogger({ component: 'up' });
  const dataDir = resolve(options.dataDir ?? settings.dataDir);
  const configDir = resolve(settings.configDir ?? 'examples');
  // Signals are handled from the start: Ctrl-C while starting stops what was started.
  const stops = new StopStack(log);
  const shutdown = onShutdown(log, () => stops.stop());
  await checkConfigFolder(configDir);
  // Two processes must never open one embedded database.
  const running = await readUpState(dataDir).catch(() => undefined);
  if (running) throw new Error(`parley up is already running on ${dataDir} (pid ${running.pid}, ${upStateFile(dataDir)}); stop it first, or use another --data folder`);
  let nats: EmbeddedNats | undefined;
  if (!settings.natsUrl) nats = await startEmbeddedNats(dataDir);
  const embedded = nats;
  if (embedded) stops.push('nats-server', () => embedded.stop());
  const natsUrl = settings.natsUrl ?? (nats as EmbeddedNats).url;
  const databaseUrl = settings.databaseUrl ?? `pglite:${join(dataDir, 'pglite')}`;

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const nc = await connectNats(natsUrl, 'parley-up');
  stops.push('NATS connection', () => nc.drain());
  const store = await openDatabase({ url: databaseUrl });
  stops.push('database', () => store.close());
  await migrateDatabase(store, databaseUrl);
  await checkCluster(nc, store.db, { nats: natsUrl, database: databaseUrl }, log);
  // The operator's local mode: the folder is the source of truth, synced into the
  // configuration bucket that the router watches, as in a cluster.
  const bucket = await openConfigBucket(nc);
  await syncFolder(configDir, bucket);
  const folderWatch = watchFolder(configDir, bucket, (outcome) => {
    if (!(outcome instanceof Error)) return log.info('configuration synced', { folder: configDir, ...outcome });
    // Nothing of the folder was applied: the live configuration stays as it was.
    configChangesCounter(registry).inc({ kind: 'folder', outcome: 'refused' });
    log.error('configuration refused', { kind: 'folder', folder: configDir, outcome: 'refused', err: outcome });
  });
  stops.push('folder watch', () => folderWatch.close());
  const { config, onChange, stop: stopConfig } = await startLiveConfig(bucket, log, registry);
  stops.push('configuration watch', stopConfig);
  // One node owns every partition; a stable name lets a restart take them back at once.
  const router = await startRouter({ nc, db: store.db, config, registry, logger: log.child({ component: 'router' }), nodeId: settings.nodeId ?? 'up', partitions: settings.partitions, leaseMs: settings.leaseMs, onRefused: (err) => shutdown.fail('the cluster bucket belongs to another database', err) });
  stops.push('router', () => router.stop());
  onChange(() => router.configChanged());
  // Day rows for the configured zones; a zone new to the database is filled from the 15-minute rows first.
  const zonesAdded = await addReportTimeZones(store.db, settings.reportTimeZones);
  if (zonesAdded.length) log.info('report time zones added', { zones: zonesAdded });
  const reports = startReportFolder({ db: store.db, logger: log, metrics: foldObservers(reportMetrics(registry), queueActivityNotifier(nc)), queueSkills: (tenant, queue) => config.queue(tenant, queue)?.skills });
  stops.push('report folder', () => reports.stop());
  const secret = settings.authSecret ?? (await localSecret(dataDir));
  const unsubscribeSecret = unsubscribeSecretOf(settings, secret);
  // The gateway's own URL once it listens, unless a public one is set.
  const listening: { url?: string } = {};
  const unsubscribeUrl = unsubscribeUrlOf(unsubscribeSecret, () => settings.publicUrl ?? listening.url);
  const campaigns = await startCampaignService({ nc, db: store.db, config, host: router.campaigns, unsubscribeUrl, logger: log.child({ component: 'campaigns' }) });
  onChange(() => campaigns.configChanged());
  stops.push('campaigns', () => campaigns.stop());
  const verifier = createTokenVerifier(settings.auth.mode === 'local' ? { ...settings.auth, secret } : settings.auth);
  const gateway = await startGateway({
    nc,
    db: store.db,
    verifier,
    registry,
    logger: log.child({ component: 'gateway' }),
    ...gatewayEdgeOptions(settings),
    config,
    // Integrators' OAuth clients and agentless notifications (docs/notifications.md).
    ...((settings.oauthSecret ?? (settings.auth.mode === 'local' ? secret : undefined)) && {
      integrations: { oauthSecret: settings.oauthSecret ?? secret, channels: config },
    }),
    // The web app's password-less sign-in: a developer's own machine, local mode only.
    ...(settings.auth.mode === 'local' && { localLogin: { secret } }),
    ...(unsubscribeSecret && { unsubscribeSecret }),
    ...(store.pool && { pool: store.pool }),
    // Files agents attach, fetched by providers through signed links.
    attachments: agentAttachmentOptions(settings, secret),
  });
  listening.url = gateway.url;
  stops.push('gateway', () => gateway.close());
  // Provider webhooks and sends; a test run on free ports (PARLEY_PORT=0) takes a free one too.
  const channels = await startChannelService({
    nc,
    db: store.db,
    config,
    secrets: fileSecrets(settings.secretsFile ?? join(dataDir, 'secrets.yaml')),
    registry,
    logger: log.child({ component: 'channels' }),
    host: settings.host,
    port: settings.channelsPort ?? (settings.port === 0 ? 0 : 8081),
    ...(settings.channelsPublicUrl ? { publicBaseUrl: settings.channelsPublicUrl } : {}),
    // Compliance (docs/campaigns.md §5): keywords before a customer message is published, suppression before every send.
    beforePublish: keywordHook(store.db, nc, config),
    beforeSend: suppressionCheck(store.db, config),
    // Web messaging on the webhook port, the SMTP listener on 2525 (a free port under PARLEY_PORT=0).
    ...channelsMediaOptions(settings, { smtpPort: settings.port === 0 ? 0 : 2525, localSecret: secret, gatewayUrl: gateway.url, tryPage: true }),
  });
  stops.push('channels', () => channels.close());
  onChange(() => channels.configChanged());
  // Router and gateway metrics together, off the public API port.
  const ops = await startOpsServer({
    registry,
    host: settings.host,
    port: settings.opsPort,
    ready: async () => ({ ...(await gatewayReadiness(gateway)), leases: router.healthy() ? true : 'the lease heartbeat has not run for a lease time' }),
    live: () => router.healthy(),
    documents: { '/cluster': () => router.cluster() },
  });
  stops.push('ops server', () => ops.close());
  await writeUpState(dataDir, { gatewayUrl: gateway.url, natsUrl, authSecret: secret, pid: process.pid });
  // However the process ends (a forced second Ctrl-C, a fatal error), no stale state file is left.
  process.on('exit', () => removeUpState(dataDir));
  // Stopped first: from then on `parley demo` says Parley is not running, rather than failing half-way.
  stops.push('up.json', () => removeUpState(dataDir));
  stops.started();

  const tenants = [...new Set(config.allChannels().map((c) => c.tenant))];
  console.log(
    [
      '',
      'Parley is up.',
      `  agent API (HTTP + WebSocket)  ${gateway.url}/v1`,
      `  agent desktop (web app)       ${gateway.appUrl ?? 'not built (make web)'}`,
      `  provider webhooks             ${channels.url}/webhooks/<tenant>/<channel>`,
      `  web messaging widget          ${channels.url}/web/v1/widget.js (try it: ${channels.url}/web/try/<tenant>/<channel>)`,
      `  e-mail (SMTP listener)        ${channels.smtpPort !== undefined ? `smtp://${settings.host}:${channels.smtpPort}` : 'off'}`,
      `  metrics                       ${ops.url}/metrics`,
      `  health                        ${gateway.url}/healthz, ${gateway.url}/readyz (also on ${ops.url})`,
      `  NATS                          ${natsUrl}${nats ? ' (embedded nats-server)' : ''}`,
      `  database                      ${databaseUrl.startsWith('pglite:') ? `embedded PostgreSQL (PGlite) in ${databaseUrl.slice(7)}` : 'PostgreSQL (DATABASE_URL)'}`,
      `  configuration                 ${configDir}: ${config.allChannels().length} channels, ${config.allQueues().length} queues, tenants ${tenants.join(', ') || '(none)'}`,
      '',
      'Try it from another terminal:  npx parley demo',
      'Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );
}
