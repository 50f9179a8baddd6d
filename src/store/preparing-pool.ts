import { createHash } from 'node:crypto';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

/** SQL that starts with this comment runs as a named prepared statement (see `preparingPool`). */
export const PREPARED = '/* prepared */';

/**
 * The pool kysely gets: its clients run the statements marked `PREPARED` as named
 * prepared statements, so PostgreSQL parses and plans each of them once per connection
 * instead of at every call. That is for the few hot statements of fixed shape that every
 * actor step reads with (`openActor`, `lookupInbound`): measured under load, planning them
 * took longer than running them. Statements are named by their text, so one name never
 * stands for two texts.
 */
export function preparingPool(pool: pg.Pool): PostgresPool {
  // pg-pool listens for a connection's errors only while it is idle: one that dies while
  // checked out between two statements (pg_terminate_backend, a reset) would emit 'error'
  // with nobody listening, an uncaught exception that ends the process. Listened to from
  // the moment the connection exists (not from its first checkout, a turn later): its
  // next statement fails instead, and the work is retried.
  pool.on('connect', (client) => client.on('error', () => {}));
  // kysely keeps its connection objects by client: one wrapper per pooled client.
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const query = (client: pg.PoolClient, sql: unknown, parameters?: readonly unknown[]): unknown =>
    typeof sql === 'string' && sql.startsWith(PREPARED)
      ? client.query({ name: statementName(sql), text: sql, values: [...(parameters ?? [])] })
      : // Any other statement, or a cursor (a submittable object), goes through unchanged.
        client.query(sql as string, parameters as unknown[]);
  const wrap = (client: pg.PoolClient): PostgresPoolClient => ({
    query: ((sql: unknown, parameters?: readonly unknown[]) => query(client, sql, parameters)) as PostgresPoolClient['query'],
    release: () => client.release(),
  });
  return {
    async connect() {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (!wrapper) wrappers.set(client, (wrapper = wrap(client)));
      return wrapper;
    },
    end: () => pool.end(),
  };
}

function statementName(sql: string): string {
  return `parley_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
}
