import { sql } from 'kysely';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { connectBus } from '../bus/index.ts';
import { openConfigBucket } from '../config/index.ts';
import { startLiveConfig } from './live-config.ts';
import { syncFolder } from '../../operator/sync-folder.ts';
import { createLogger, startOpsServer } from '../observability/index.ts';
import { migrateToLatest, openStore } from '../store/index.ts';
import { startRouter } from '../router/index.ts';
import { readSettings, SettingsError } from './settings.ts';
import { onShutdown } from './shutdown.ts';

/** The `router` process: one routing node against a NATS server and a PostgreSQL server. */
export async function runRouter(): Promise<void> {
  const settings = readSettings();
  const log = createLogger({ component: 'router' });
  if (!settings.databaseUrl?.startsWith('postgres')) {
    throw new SettingsError('the router process needs DATABASE_URL=postgres://… (the embedded database is for `parley up` only)');
  }
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const nc = await connectBus({ url: settings.natsUrl, name: 'parley-router' });
  const store = await openStore({ url: settings.databaseUrl });
  await migrateToLatest(store.db);
  const bucket = await openConfigBucket(nc);
  // Without an operator (no Kubernetes), a folder of resources can stand in for it.
  if (settings.configDir) log.info('configuration synced from folder', { ...(await syncFolder(settings.configDir, bucket)) });
  const { config, onChange, stop: stopConfig } = await startLiveConfig(bucket, log);
  const router = await startRouter({ nc, db: store.db, config, registry, logger: log });
  onChange(() => router.configChanged());
  const ops = await startOpsServer({
    registry,
    host: settings.host,
    port: settings.opsPort,
    ready: async () => !nc.isClosed() && (await sql`select 1`.execute(store.db).then(() => true, () => false)),
  });
  log.info('router ready', { ops: ops.url });
  onShutdown(log, async () => {
    stopConfig();
    await router.stop();
    await ops.close();
    await store.close();
    await nc.drain();
  });
}
