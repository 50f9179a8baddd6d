import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DOCKER_HINT, dockerAvailable } from './docker.ts';

export interface PostgresService {
  /** URL of a fresh database owned by this test file. */
  url: string;
  /** Drops the database (and stops the container, if one was started). */
  stop(): Promise<void>;
}

/**
 * Local defaults, in order. Debian's pg_hba.conf uses scram for 127.0.0.1, so a
 * bare trust URL often fails there; scripts/ensure-services.sh then gives the
 * postgres role the password "postgres", which the second URL uses.
 */
const LOCAL_URLS = [
  'postgres://postgres@127.0.0.1:5432/postgres',
  'postgres://postgres:postgres@127.0.0.1:5432/postgres',
];

/**
 * A fresh `parley_test_<hex>` database for one test file, created on
 * DATABASE_URL's server, else a local server, else a testcontainers postgres:15.
 */
export async function startPostgresService(): Promise<PostgresService> {
  const base = await resolveBaseServer();
  const name = `parley_test_${randomBytes(6).toString('hex')}`;
  await withClient(base.url, (c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));

  const url = new URL(base.url);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async stop() {
      try {
        await withClient(base.url, (c) => dropDatabase(c, name));
      } finally {
        await base.stop();
      }
    },
  };
}

interface BaseServer {
  url: string;
  stop(): Promise<void>;
}

async function resolveBaseServer(): Promise<BaseServer> {
  const noop = async (): Promise<void> => {};
  const envUrl = process.env.DATABASE_URL?.trim();
  if (envUrl) {
    const problem = await probe(envUrl);
    if (problem) throw new Error(`DATABASE_URL (${redact(envUrl)}) is not usable: ${problem}`);
    return { url: envUrl, stop: noop };
  }

  const problems: string[] = [];
  for (const url of LOCAL_URLS) {
    const problem = await probe(url);
    if (!problem) return { url, stop: noop };
    problems.push(`${redact(url)}: ${problem}`);
  }

  if (await dockerAvailable()) return startPostgresContainer();

  throw new Error(
    `No PostgreSQL server is reachable (tried ${problems.join('; ')}) and ${DOCKER_HINT}. ` +
      'Fix: run `make services` (installs PostgreSQL with apt-get and starts it), or ' +
      '`apt-get install -y postgresql && pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, ' +
      'or set DATABASE_URL to a server where you may CREATE DATABASE.',
  );
}

/** Returns undefined if `url` accepts a query, else the reason it does not. */
async function probe(url: string): Promise<string | undefined> {
  try {
    await withClient(url, (c) => c.query('SELECT 1'));
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

async function dropDatabase(client: pg.Client, name: string): Promise<void> {
  const ident = pg.escapeIdentifier(name);
  const { rows } = await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
  if (Number(rows[0]?.v) >= 130000) {
    // FORCE terminates sessions the test left open (pools, listeners).
    await client.query(`DROP DATABASE IF EXISTS ${ident} WITH (FORCE)`);
    return;
  }
  await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
  await client.query(`DROP DATABASE IF EXISTS ${ident}`);
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  // An 'error' event without a listener (e.g. the server going away) would crash the worker.
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function startPostgresContainer(): Promise<BaseServer> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer('postgres:15')
    .withEnvironment({ POSTGRES_PASSWORD: 'postgres' })
    .withExposedPorts(5432)
    // The entrypoint starts postgres twice (init, then for real).
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  return {
    url: `postgres://postgres:postgres@${container.getHost()}:${container.getMappedPort(5432)}/postgres`,
    async stop() {
      await container.stop();
    },
  };
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable URL>';
  }
}
