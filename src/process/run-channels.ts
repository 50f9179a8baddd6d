import { Registry, collectDefaultMetrics } from 'prom-client';
import { ensureStreams } from '../bus/index.ts';
import { fileSecrets, kubernetesSecrets, startChannelService } from '../channel-service/index.ts';
import { openConfigBucket } from '../config/index.ts';
import { keywordHook, suppressionCheck } from '../compliance/index.ts';
import { createLogger, startOpsServer } from '../observability/index.ts';
import { syncFolder } from '../../operator/sync-folder.ts';
import { startLiveConfig } from './live-config.ts';
import { trackConnection } from './nats-status.ts';
import { checkConfigFolder, connectNats, migrateDatabase, openDatabase } from './open-dependencies.ts';
import { readSettings, SettingsError } from './settings.ts';
import { onShutdown } from './shutdown.ts';
import { watchSchema } from './schema-watch.ts';
import { databaseReady } from './database-ready.ts';
import { channelsMediaOptions } from './channels-from-settings.ts';
import { StopStack } from './stop-stack.ts';

/**
 * The `channels` process: provider webhooks and web messaging in (PARLEY_CHANNELS_PORT),
 * e-mail in (the SMTP listener on PARLEY_SMTP_PORT, IMAP polling), provider send APIs,
 * SMTP relays and customers' sockets out (a consumer of PARLEY_OUTBOUND shared by every
 * channels process). Secrets come from Kubernetes Secrets, or from PARLEY_SECRETS_FILE.
 */
export async function runChannels(): Promise<void> {
  const settings = readSettings();
  const log = createLogger({ component: 'channels' });
  if (!settings.databaseUrl?.startsWith('postgres')) throw new SettingsError('the channels process needs DATABASE_URL=postgres://… (the routers\' database)');
  const stops = new StopStack(log);
  const shutdown = onShutdown(log, () => stops.stop());
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  if (settings.configDir) await checkConfigFolder(settings.configDir);
  const nc = await connectNats(settings.natsUrl, 'parley-channels');
  const natsStatus = trackConnection(nc);
  stops.push('NATS connection', () => nc.drain());
  const store = await openDatabase({ url: settings.databaseUrl });
  stops.push('database', () => store.close());
  await migrateDatabase(store, settings.databaseUrl);
  const schemaWatch = watchSchema(store.db, log, (err) => shutdown.fail('the database schema needs a newer release', err));
  stops.push('schema watch', () => schemaWatch.stop());
  await ensureStreams(nc);
  const bucket = await openConfigBucket(nc);
  if (settings.configDir) log.info('configuration synced from folder', { ...(await syncFolder(settings.configDir, bucket)) });
  const { config, onChange, stop: stopConfig } = await startLiveConfig(bucket, log, registry);
  stops.push('configuration watch', stopConfig);
  const secrets = settings.secretsFile ? fileSecrets(settings.secretsFile) : await kubernetesSecrets();
  const channels = await startChannelService({
    nc,
    db: store.db,
    config,
    secrets,
    registry,
    logger: log,
    host: settings.host,
    port: settings.channelsPort ?? 8081,
    bodyLimitBytes: settings.bodyLimitBytes,
    sender: { ackWaitMs: settings.channelsAckWaitMs },
    // Compliance (docs/campaigns.md §5): keywords before a customer message is published, suppression before every send.
    beforePublish: keywordHook(store.db, nc, config),
    beforeSend: suppressionCheck(store.db, config),
    ...(settings.channelsPublicUrl ? { publicBaseUrl: settings.channelsPublicUrl } : {}),
    // Web messaging with PARLEY_WEB_SECRET, the SMTP listener with PARLEY_SMTP_PORT; e-mail out and IMAP always.
    ...channelsMediaOptions(settings, { smtpPort: undefined, localSecret: undefined, gatewayUrl: `http://${settings.host}:${settings.port}`, tryPage: false }),
  });
  stops.push('channels', () => channels.close());
  onChange(() => channels.configChanged());
  const ops = await startOpsServer({
    registry,
    host: settings.host,
    port: settings.opsPort,
    ready: async () => ({
      nats: natsStatus.connected ? true : 'disconnected (reconnecting)',
      database: await databaseReady(store.db),
    }),
  });
  stops.push('ops server', () => ops.close());
  stops.started();
  log.info('channels ready', { webhooks: channels.url, ops: ops.url, smtpPort: channels.smtpPort ?? 'off', webMessaging: settings.webSecret ? `${channels.url}/web/v1` : 'off (no PARLEY_WEB_SECRET)' });
}
