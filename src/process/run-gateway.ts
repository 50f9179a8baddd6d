import { Registry, collectDefaultMetrics } from 'prom-client';
import { connectBus } from '../bus/index.ts';
import { startGateway } from '../gateway/index.ts';
import { createLogger, startOpsServer } from '../observability/index.ts';
import { openStore } from '../store/index.ts';
import { readSettings, SettingsError } from './settings.ts';
import { onShutdown } from './shutdown.ts';

/** The `gateway` process: the agent/supervisor/integrator API in front of the routers. */
export async function runGateway(): Promise<void> {
  const settings = readSettings();
  const log = createLogger({ component: 'gateway' });
  if (!settings.databaseUrl?.startsWith('postgres')) throw new SettingsError('the gateway process needs DATABASE_URL=postgres://…');
  if (!settings.authSecret) throw new SettingsError('the gateway process needs PARLEY_AUTH_SECRET (the HS256 secret that signs tokens)');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const nc = await connectBus({ url: settings.natsUrl, name: 'parley-gateway' });
  const store = await openStore({ url: settings.databaseUrl });
  const gateway = await startGateway({
    nc,
    db: store.db,
    secret: settings.authSecret,
    registry,
    host: settings.host,
    port: settings.port,
    logger: log,
    corsOrigins: settings.corsOrigins,
    rateLimit: { perToken: settings.rateLimitPerToken, perIp: settings.rateLimitPerIp },
    bodyLimitBytes: settings.bodyLimitBytes,
    trustedProxies: settings.trustedProxies,
  });
  // Metrics stay off the public API port: scrape them on the ops port.
  const ops = await startOpsServer({ registry, host: settings.host, port: settings.opsPort, ready: async () => (await gateway.unready()).length === 0 });
  log.info('gateway ready', { url: gateway.url, ops: ops.url });
  onShutdown(log, async () => {
    await gateway.close();
    await ops.close();
    await store.close();
    await nc.drain();
  });
}
