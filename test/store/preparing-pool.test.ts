import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServices, type TestServices } from '../support/services.ts';
import { openStore, PREPARED, type Store } from '../../src/store/index.ts';

/** Statements marked PREPARED are parsed and planned once per connection; the others as usual. */
describe('preparing pool', () => {
  let services: TestServices;
  let store: Store;

  beforeAll(async () => {
    services = await startTestServices();
    store = await openStore({ url: services.databaseUrl, poolSize: 1 });
  });

  afterAll(async () => {
    await store?.close();
    await services?.stop();
  });

  const prepared = async () => {
    const { rows } = await sql<{ name: string; calls: string }>`select name, generic_plans + custom_plans as calls from pg_prepared_statements`.execute(store.db);
    return rows;
  };

  it('runs a marked statement as one named prepared statement, reused on every call', async () => {
    for (const n of [1, 2, 3]) {
      const { rows } = await sql<{ n: number }>`${sql.raw(PREPARED)} select ${n}::int as n`.execute(store.db);
      expect(rows[0]?.n).toBe(n);
    }
    await sql`select 1`.execute(store.db);
    // One connection in the pool: the statement was prepared there once, and not the unmarked one.
    const statements = await prepared();
    expect(statements).toHaveLength(1);
    expect(statements[0]?.name).toMatch(/^parley_[0-9a-f]{20}$/);
    expect(Number(statements[0]?.calls)).toBe(3);
  });
});
