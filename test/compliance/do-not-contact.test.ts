import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { useMigratedStore } from '../support/migrated-store.ts';
import {
  addDncEntries,
  DncListNotFoundError,
  exportDncCsv,
  importDncCsv,
  InvalidAddressError,
  isSuppressed,
  recordOptIn,
  recordOptOut,
  removeDncEntry,
  saveDncList,
  suppressionsAmong,
} from '../../src/compliance/index.ts';

describe('do-not-contact lists and the send-time check', () => {
  const database = useMigratedStore();

  it('suppresses an address on a list for its channel kind, or for all kinds, and not for other kinds', async () => {
    const { db } = database.store;
    await saveDncList(db, { tenant: 'acme', id: 'sms-only', name: 'SMS complaints', channelKind: 'sms' });
    await saveDncList(db, { tenant: 'acme', id: 'everything', name: 'Legal hold' });
    await addDncEntries(db, 'acme', 'sms-only', [{ address: '06 12 34 56 78' }], { source: 'test', defaultCountry: 'FR' });
    await addDncEntries(db, 'acme', 'everything', [{ address: 'Legal@Example.com', note: 'lawyer' }], { source: 'test' });

    expect(await isSuppressed(db, 'acme', '+33612345678', 'sms')).toEqual({ reason: 'do-not-contact', listId: 'sms-only' });
    expect(await isSuppressed(db, 'acme', '+33612345678', 'whatsapp')).toBeNull();
    expect(await isSuppressed(db, 'acme', 'legal@example.com', 'email')).toEqual({ reason: 'do-not-contact', listId: 'everything' });
    expect(await isSuppressed(db, 'globex', '+33612345678', 'sms')).toBeNull();
    // A campaign naming its lists is checked against those only.
    expect(await isSuppressed(db, 'acme', '+33612345678', 'sms', { lists: ['everything'] })).toBeNull();

    expect(await removeDncEntry(db, 'acme', 'sms-only', '+33612345678')).toBe(true);
    expect(await isSuppressed(db, 'acme', '+33612345678', 'sms')).toBeNull();
  });

  it('suppresses an opted-out address on every channel kind whatever lists a campaign names, until it opts in', async () => {
    const { db } = database.store;
    await recordOptOut(db, { tenant: 'acme', address: '+14155552671', method: 'keyword', keyword: 'STOP', channel: 'sms-us', channelKind: 'sms', source: 'c1' });
    for (const kind of ['sms', 'whatsapp', 'email']) {
      expect(await isSuppressed(db, 'acme', '+14155552671', kind, { lists: [] })).toMatchObject({ reason: 'opted-out' });
    }
    await recordOptIn(db, { tenant: 'acme', address: '+14155552671', method: 'keyword', keyword: 'START', channel: 'sms-us', channelKind: 'sms', source: 'c2' });
    expect(await isSuppressed(db, 'acme', '+14155552671', 'sms')).toBeNull();
  });

  it('answers for a batch of addresses in one call, listing only the suppressed ones', async () => {
    const { db } = database.store;
    await saveDncList(db, { tenant: 'batch', id: 'dnc', name: 'DNC' });
    const addresses = Array.from({ length: 500 }, (_, i) => `+1415555${String(1000 + i)}`);
    await addDncEntries(db, 'batch', 'dnc', addresses.filter((_, i) => i % 10 === 0).map((address) => ({ address })), { source: 'test' });
    await recordOptOut(db, { tenant: 'batch', address: addresses[1]!, method: 'api', source: 'x' });
    await recordOptOut(db, { tenant: 'batch', address: addresses[10]!, method: 'api', source: 'x' });
    const found = await suppressionsAmong(db, 'batch', addresses, 'sms');
    expect(found.size).toBe(51);
    expect(found.get(addresses[0]!)).toEqual({ reason: 'do-not-contact', listId: 'dnc' });
    expect(found.get(addresses[1]!)?.reason).toBe('opted-out');
    // Both opted out and listed: the opt-out is the reason reported.
    expect(found.get(addresses[10]!)?.reason).toBe('opted-out');
    expect(found.has(addresses[2]!)).toBe(false);
  });

  it('refuses bad input before writing: an unknown list, an invalid address', async () => {
    const { db } = database.store;
    await saveDncList(db, { tenant: 'acme', id: 'strict', name: 'Strict' });
    await expect(addDncEntries(db, 'acme', 'missing', [{ address: '+33612345678' }], { source: 't' })).rejects.toThrow(DncListNotFoundError);
    await expect(addDncEntries(db, 'acme', 'strict', [{ address: '+33612345678' }, { address: 'nope' }], { source: 't' })).rejects.toThrow(InvalidAddressError);
    expect(await isSuppressed(db, 'acme', '+33612345678', 'sms', { lists: ['strict'] })).toBeNull();
  });

  it('imports a CSV, reporting bad rows by line and loading the rest, and exports it back', async () => {
    const { db } = database.store;
    await saveDncList(db, { tenant: 'csv', id: 'imported', name: 'Imported', channelKind: 'sms' });
    const file = ['phone,note', '06 12 34 56 78,complaint', 'not-a-number,', '+33 6 12 34 56 78,again', '', 'a@example.com,mail', '07 00,short'].join('\n');
    const result = await importDncCsv(db, 'csv', 'imported', Readable.from([file]), { source: 'dnc.csv', defaultCountry: 'FR', batchSize: 2 });
    expect(result).toMatchObject({ added: 2, alreadyListed: 1, rejectedCount: 2 });
    expect(result.rejected.map((r) => r.line)).toEqual([3, 7]);
    expect(result.rejected[0]!.reason).toContain('not-a-number');
    expect(await isSuppressed(db, 'csv', '+33612345678', 'sms')).toEqual({ reason: 'do-not-contact', listId: 'imported' });

    const exported = parse<Record<string, string>>(await text(exportDncCsv(db, 'csv', 'imported', { pageSize: 1 })), { columns: true });
    expect(exported.map((r) => [r.address, r.note, r.source])).toEqual([
      ['+33612345678', 'complaint', 'dnc.csv'],
      ['a@example.com', 'mail', 'dnc.csv'],
    ]);
  });

  it('fails, instead of waiting forever, when the upload fails midway', async () => {
    const { db } = database.store;
    await saveDncList(db, { tenant: 'csv', id: 'cut', name: 'Cut' });
    function* cut(): Generator<string> {
      yield 'phone\n+33612345678\n';
      throw new Error('upload cut');
    }
    await expect(importDncCsv(db, 'csv', 'cut', Readable.from(cut()), { source: 't' })).rejects.toThrow('upload cut');
  });

  it('rejects a file without an address column and an export of a missing list', async () => {
    const { db } = database.store;
    await saveDncList(db, { tenant: 'csv', id: 'other', name: 'Other' });
    await expect(importDncCsv(db, 'csv', 'other', Readable.from(['name\nx\n']), { source: 't' })).rejects.toThrow(/no address, phone or email column/);
    await expect(text(exportDncCsv(db, 'csv', 'missing'))).rejects.toThrow(DncListNotFoundError);
  });
});
