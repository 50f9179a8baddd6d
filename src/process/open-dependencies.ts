import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { sql } from 'kysely';
import { DEFAULT_NATS_URL, connectBus } from '../bus/index.ts';
import { assertSchemaRunnable, knownMigrations, migrateToLatest, openStore, type Store, type StoreOptions } from '../store/index.ts';
import { DependencyError, redactUrl } from './dependency-error.ts';

/*
 * Each process opens its dependencies through these, so that a failure at start names
 * the dependency, its address (without credentials) and the cause, instead of a bare
 * "connection refused".
 */

/** Connects to NATS and checks that JetStream answers (every role needs it). */
export async function connectNats(url: string | undefined, name: string): Promise<NatsConnection> {
  const address = redactUrl(url ?? DEFAULT_NATS_URL);
  let nc: NatsConnection;
  try {
    nc = await connectBus({ url, name });
  } catch (err) {
    throw new DependencyError('NATS', address, 'cannot connect', { cause: err });
  }
  try {
    await (await jetstreamManager(nc)).getAccountInfo();
  } catch (err) {
    await nc.close().catch(() => undefined);
    throw new DependencyError('NATS', address, 'JetStream is not available (start nats-server with -js)', { cause: err });
  }
  return nc;
}

/** Opens the store and checks that it answers a query (a pool connects lazily otherwise). */
export async function openDatabase(options: StoreOptions & { url: string }): Promise<Store> {
  const address = redactUrl(options.url);
  let store: Store | undefined;
  try {
    store = await openStore(options);
    await sql`select 1`.execute(store.db);
    return store;
  } catch (err) {
    await store?.close().catch(() => undefined);
    throw new DependencyError('PostgreSQL', address, 'cannot connect', { cause: err });
  }
}

/** Brings the schema up to date; a failure names the database and the migration. */
export async function migrateDatabase(store: Store, url: string): Promise<void> {
  try {
    await migrateToLatest(store.db);
  } catch (err) {
    throw new DependencyError('PostgreSQL', redactUrl(url), 'cannot migrate the schema', { cause: err });
  }
}

/** For a process that does not migrate (the gateway): fails when the database's schema needs a newer release (see `store/schema-floor.ts`). */
export async function checkSchema(store: Store, url: string): Promise<void> {
  try {
    await assertSchemaRunnable(store.db, knownMigrations);
  } catch (err) {
    throw new DependencyError('PostgreSQL', redactUrl(url), 'cannot run on its schema', { cause: err });
  }
}

/** Fails unless `dir` is a folder that can be read. */
export async function checkConfigFolder(dir: string): Promise<void> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(dir)).isDirectory();
  } catch (err) {
    throw new DependencyError('configuration folder', dir, 'cannot read it (set PARLEY_CONFIG to a folder of Channel/Queue/Campaign YAML)', { cause: err });
  }
  if (!isFolder) throw new DependencyError('configuration folder', dir, 'is not a folder (PARLEY_CONFIG must name a folder)');
}

/**
 * KUBECONFIG, else ~/.kube/config, else the pod's service account; then asks the API
 * server its version, so that a wrong file or an unreachable server stops the start.
 */
export async function loadKubeConfig(env: NodeJS.ProcessEnv = process.env): Promise<KubeConfig> {
  // Loaded here, not at the top: every `parley` command imports this module.
  const { KubeConfig, VersionApi } = await import('@kubernetes/client-node');
  const kubeConfig = new KubeConfig();
  const source = env.KUBECONFIG ? `KUBECONFIG=${env.KUBECONFIG}` : `${join(homedir(), '.kube', 'config')} or the pod's service account`;
  try {
    kubeConfig.loadFromDefault();
  } catch (err) {
    throw new DependencyError('Kubernetes API', source, 'cannot load the kubeconfig', { cause: err });
  }
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new DependencyError('Kubernetes API', source, 'the kubeconfig names no cluster (no current context or no server)');
  try {
    await kubeConfig.makeApiClient(VersionApi).getCode();
  } catch (err) {
    throw new DependencyError('Kubernetes API', redactUrl(server), 'cannot reach the API server', { cause: err });
  }
  return kubeConfig;
}
