import { afterAll, beforeAll } from 'vitest';
import { migrateToLatest, openStore, type Store } from '../../src/store/index.ts';
import { startTestServices, type TestServices } from './services.ts';

/**
 * A test file's own database, migrated, with a store on it (a real PostgreSQL: see
 * `startTestServices`). The store is open from `beforeAll` and closed after the file.
 */
export function useMigratedStore(options: { poolSize?: number } = {}): { readonly store: Store } {
  let services: TestServices | undefined;
  let store: Store | undefined;

  beforeAll(async () => {
    services = await startTestServices();
    store = await openStore({ url: services.databaseUrl, ...options });
    await migrateToLatest(store.db);
  });

  afterAll(async () => {
    await store?.close();
    await services?.stop();
  });

  return {
    get store() {
      return store as Store;
    },
  };
}

/**
 * Two stores (connection pools) on one migrated database: two routers that each believe
 * they own a partition, for the fencing and cache tests. The array is filled in
 * `beforeAll` and the stores closed after the file.
 */
export function useTwoStores(): [Store, Store] {
  let services: TestServices | undefined;
  const stores: Store[] = [];

  beforeAll(async () => {
    services = await startTestServices();
    stores.push(await openStore({ url: services.databaseUrl }), await openStore({ url: services.databaseUrl }));
    await migrateToLatest(stores[0]!.db);
  });

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await services?.stop();
  });

  return stores as [Store, Store];
}
