import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database.ts';
import { preparingPool } from './preparing-pool.ts';

export interface StoreOptions {
  /**
   * `postgres://…` for a PostgreSQL server; `pglite:` (in memory) or `pglite:<dir>` for the
   * embedded PostgreSQL used by `parley up`.
   * @default "pglite:"
   */
  url?: string;
  /** Connections in the pool (PostgreSQL server only). @default 10 */
  poolSize?: number;
  /** The server ends a session left idle inside a transaction this long (PostgreSQL server only). @default none */
  idleInTransactionTimeoutMs?: number;
  /**
   * Errors of idle pooled connections (server restart, connection killed). The pool
   * replaces the connection; without a listener Node would crash the process.
   * @default writes the error to stderr
   */
  onIdleError?: (err: Error) => void;
}

export interface Store {
  db: Kysely<Database>;
  /** `postgres` or `pglite` — which engine is behind `db`. */
  engine: 'postgres' | 'pglite';
  /** The connection pool behind `db` (PostgreSQL server only), for what Kysely cannot do: `COPY FROM STDIN`. */
  pool?: pg.Pool;
  close(): Promise<void>;
}

// timestamptz and jsonb come back as Date and parsed JSON from both engines; bigint (the
// outbox id) stays a string so it never loses precision.

export async function openStore(options: StoreOptions = {}): Promise<Store> {
  const url = options.url ?? 'pglite:';
  if (url.startsWith('pglite:')) {
    const [{ PGlite }, { PGliteDialect }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('kysely-pglite-dialect'),
    ]);
    const dir = url.slice('pglite:'.length);
    const client = await PGlite.create(dir ? { dataDir: dir } : {});
    const db = new Kysely<Database>({ dialect: new PGliteDialect(client) });
    return {
      db,
      engine: 'pglite',
      close: async () => {
        await db.destroy();
        if (!client.closed) await client.close();
      },
    };
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    ...(options.idleInTransactionTimeoutMs && { options: `-c idle_in_transaction_session_timeout=${options.idleInTransactionTimeoutMs}` }),
  });
  pool.on('error', options.onIdleError ?? ((err) => console.error(JSON.stringify({ level: 'error', msg: 'idle database connection failed', err: err.message }))));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
  return { db, engine: 'postgres', pool, close: () => db.destroy() };
}
