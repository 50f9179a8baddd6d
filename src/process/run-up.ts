import { join, resolve } from 'node:path';
import { rm } from 'node:fs/promises';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { openConfigBucket } from '../config/index.ts';
import { startLiveConfig } from './live-config.ts';
import { syncFolder, watchFolder } from '../../operator/sync-folder.ts';
import { startGateway } from '../gateway/index.ts';
import { createLogger } from '../observability/index.ts';
import { startRouter } from '../router/index.ts';
import { startEmbeddedNats, type EmbeddedNats } from './embedded-nats.ts';
import { checkConfigFolder, connectNats, migrateDatabase, openDatabase } from './open-dependencies.ts';
import { readSettings } from './settings.ts';
import { onShutdown } from './shutdown.ts';
import { localSecret, upStateFile, writeUpState } from './up-state.ts';

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
  await checkConfigFolder(configDir);
  let nats: EmbeddedNats | undefined;
  if (!settings.natsUrl) nats = await startEmbeddedNats(dataDir);
  const natsUrl = settings.natsUrl ?? (nats as EmbeddedNats).url;
  const databaseUrl = settings.databaseUrl ?? `pglite:${join(dataDir, 'pglite')}`;

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const nc = await connectNats(natsUrl, 'parley-up');
  const store = await openDatabase({ url: databaseUrl });
  await migrateDatabase(store, databaseUrl);
  // The operator's local mode: the folder is the source of truth, synced into the
  // configuration bucket that the router watches, as in a cluster.
  const bucket = await openConfigBucket(nc);
  await syncFolder(configDir, bucket);
  const folderWatch = watchFolder(configDir, bucket, (outcome) =>
    outcome instanceof Error ? log.error('configuration not applied', { err: outcome }) : log.info('configuration synced', { ...outcome }),
  );
  const { config, onChange, stop: stopConfig } = await startLiveConfig(bucket, log);
  // One node owns every partition; a stable name lets a restart take them back at once.
  const router = await startRouter({ nc, db: store.db, config, registry, logger: log.child({ component: 'router' }), nodeId: settings.nodeId ?? 'up', partitions: settings.partitions, leaseMs: settings.leaseMs });
  onChange(() => router.configChanged());
  const secret = settings.authSecret ?? (await localSecret(dataDir));
  const gateway = await startGateway({ nc, db: store.db, secret, registry, host: settings.host, port: settings.port, logger: log.child({ component: 'gateway' }) });
  await writeUpState(dataDir, { gatewayUrl: gateway.url, natsUrl, authSecret: secret, pid: process.pid });

  const tenants = [...new Set(config.allChannels().map((c) => c.tenant))];
  console.log(
    [
      '',
      'Parley is up.',
      `  agent API (HTTP + WebSocket)  ${gateway.url}/v1`,
      `  metrics                       ${gateway.url}/metrics`,
      `  health                        ${gateway.url}/healthz, ${gateway.url}/readyz`,
      `  NATS                          ${natsUrl}${nats ? ' (embedded nats-server)' : ''}`,
      `  database                      ${databaseUrl.startsWith('pglite:') ? `embedded PostgreSQL (PGlite) in ${databaseUrl.slice(7)}` : 'PostgreSQL (DATABASE_URL)'}`,
      `  configuration                 ${configDir}: ${config.allChannels().length} channels, ${config.allQueues().length} queues, tenants ${tenants.join(', ') || '(none)'}`,
      '',
      'Try it from another terminal:  npx parley demo',
      'Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );

  onShutdown(log, async () => {
    folderWatch.close();
    stopConfig();
    await gateway.close();
    await router.stop();
    await nc.drain();
    await store.close();
    await nats?.stop();
    await rm(upStateFile(dataDir), { force: true });
  });
}
