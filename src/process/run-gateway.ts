import { Registry, collectDefaultMetrics } from 'prom-client';
import { createTokenVerifier } from '../auth/index.ts';
import { DEFAULT_NATS_URL } from '../bus/index.ts';
import { startGateway } from '../gateway/index.ts';
import { createLogger, startOpsServer } from '../observability/index.ts';
import { checkCluster } from './check-cluster.ts';
import { openConfigBucket } from '../config/index.ts';
import { gatewayEdgeOptions, gatewayReadiness } from './gateway-from-settings.ts';
import { startLiveConfig } from './live-config.ts';
import { checkSchema, connectNats, openDatabase } from './open-dependencies.ts';
import { readSettings, SettingsError } from './settings.ts';
import { onShutdown } from './shutdown.ts';
import { watchSchema } from './schema-watch.ts';
import { unsubscribeSecretOf } from './unsubscribe-settings.ts';
import { agentAttachmentOptions } from './attachment-settings.ts';

/** The `gateway` process: the agent/supervisor/integrator API in front of the routers. */
export async function runGateway(): Promise<void> {
  const settings = readSettings();
  const log = createLogger({ component: 'gateway' });
  if (!settings.databaseUrl?.startsWith('postgres')) throw new SettingsError('the gateway process needs DATABASE_URL=postgres://…');
  if (settings.auth.mode === 'local' && !settings.auth.secret) {
    throw new SettingsError('the gateway process needs PARLEY_AUTH_SECRET (the HS256 secret that signs tokens), or PARLEY_AUTH_MODE=keys|oidc');
  }
  const verifier = createTokenVerifier(settings.auth);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const nc = await connectNats(settings.natsUrl, 'parley-gateway');
  const store = await openDatabase({ url: settings.databaseUrl });
  await checkSchema(store, settings.databaseUrl);
  await checkCluster(nc, store.db, { nats: settings.natsUrl ?? DEFAULT_NATS_URL, database: settings.databaseUrl }, log);
  // Queues and channels for the web app's directory routes (wrap-up codes, channel limits).
  const live = await startLiveConfig(await openConfigBucket(nc), log, registry);
  const unsubscribeSecret = unsubscribeSecretOf(settings);
  const oauthSecret = settings.oauthSecret ?? (settings.auth.mode === 'local' ? settings.auth.secret : undefined);
  const gateway = await startGateway({
    nc,
    db: store.db,
    verifier,
    registry,
    logger: log,
    ...gatewayEdgeOptions(settings),
    config: live.config,
    // Integrators' OAuth clients and agentless notifications (docs/notifications.md).
    ...(oauthSecret && { integrations: { oauthSecret, channels: live.config } }),
    // Contact imports load through COPY on the pool; unsubscribe links are verified with the routers' secret.
    ...(store.pool && { pool: store.pool }),
    ...(unsubscribeSecret && { unsubscribeSecret }),
    // Files agents attach, fetched by providers through signed links.
    attachments: agentAttachmentOptions(settings, settings.auth.mode === 'local' ? settings.auth.secret : undefined),
  });
  // Metrics stay off the public API port: scrape them on the ops port.
  const ops = await startOpsServer({ registry, host: settings.host, port: settings.opsPort, ready: () => gatewayReadiness(gateway) });
  log.info('gateway ready', { url: gateway.url, ops: ops.url });
  const shutdown = onShutdown(log, async () => {
    await gateway.close();
    live.stop();
    await ops.close();
    await store.close();
    await nc.drain();
  });
  // A newer release may raise the schema floor under a running gateway (a rolling upgrade): it stops then.
  watchSchema(store.db, log, (err) => shutdown.fail('the database schema needs a newer release', err));
}
