import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openStore, type Store } from '../../src/store/index.ts';
import { exportContactList, importContacts, saveContactList } from '../../src/contacts/index.ts';
import { consentState, recordOptOut } from '../../src/compliance/index.ts';

/** PGlite (the engine of `parley up`) has no COPY FROM STDIN: the import falls back to batched INSERTs. */
describe('contact list import on PGlite', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore({ url: 'pglite:' });
    await migrateToLatest(store.db);
  });
  afterAll(() => store?.close());

  it('loads, rejects and reports duplicates as the COPY path does', async () => {
    await saveContactList(store.db, { tenant: 'acme', id: 'local', name: 'Local', defaultCountry: 'FR' });
    const file = ['phone,email,first_name', '0612345678,,Ana', '06 12,,Bad', '+33612345678,,Dup', ',b@example.com,Bo', ...Array.from({ length: 30 }, (_, i) => `+336000000${String(10 + i)},,n${i}`)].join('\n');
    const result = await importContacts(Readable.from([file]), { tenant: 'acme', listId: 'local', database: store.db, insertBatchSize: 7, mergeBatchSize: 10 });
    expect(result).toMatchObject({ rows: 34, imported: 32, duplicates: 1, rejectedCount: 2 });
    expect(result.rejected).toEqual([
      { line: 3, reason: 'not a valid phone number: 06 12' },
      { line: 4, reason: expect.stringMatching(/^duplicate phone number \+33612345678 \(contact [0-9a-f-]{36}\)$/) as string },
    ]);
    const rows = parse<Record<string, string>>(await text(exportContactList(store.db, 'acme', 'local')), { columns: true });
    expect(rows.slice(0, 3).map((r) => [r.phone, r.email, r.first_name])).toEqual([
      ['+33612345678', '', 'Ana'],
      ['', 'b@example.com', 'Bo'],
      ['+33600000010', '', 'n0'],
    ]);
    expect(rows).toHaveLength(32);
  });

  it('keeps the consent ledger append-only there too', async () => {
    await recordOptOut(store.db, { tenant: 'acme', address: '+33612345678', method: 'keyword', keyword: 'STOP', source: 'c1' });
    expect(await consentState(store.db, 'acme', '+33612345678')).toBe('opted-out');
    await expect(store.db.deleteFrom('consent_events').execute()).rejects.toThrow(/append-only: DELETE refused/);
  });
});
