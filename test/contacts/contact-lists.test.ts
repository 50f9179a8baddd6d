import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { parse } from 'csv-parse/sync';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServices, type TestServices } from '../support/services.ts';
import { migrateToLatest, openStore, type Store } from '../../src/store/index.ts';
import {
  addContact,
  ColumnMappingError,
  ContactListNotFoundError,
  countContacts,
  DuplicateContactError,
  exportContactList,
  importContacts,
  InvalidContactError,
  saveContactList,
} from '../../src/contacts/index.ts';

let services: TestServices;
let store: Store;
let pool: pg.Pool;

beforeAll(async () => {
  services = await startTestServices();
  store = await openStore({ url: services.databaseUrl });
  await migrateToLatest(store.db);
  pool = new pg.Pool({ connectionString: services.databaseUrl, max: 2 });
  // The connection an import discards after a cut upload may still be closing when the
  // database is dropped at the end; the server's notice that it ended it reaches the pool
  // as an 'error', which with nobody listening ends the run (as a service's pool listens).
  pool.on('error', () => {});
});

afterAll(async () => {
  await pool?.end();
  await store?.close();
  await services?.stop();
});

const csv = (...lines: string[]): Readable => Readable.from([lines.join('\n') + '\n']);

async function exported(tenant: string, listId: string, pageSize?: number): Promise<Record<string, string>[]> {
  return parse<Record<string, string>>(await text(exportContactList(store.db, tenant, listId, { pageSize })), { columns: true });
}

describe('contact list import (COPY)', () => {
  it('loads valid rows normalized, keeps the other columns, and reports each rejected row with its line and reason', async () => {
    await saveContactList(store.db, { tenant: 'acme', id: 'spring', name: 'Spring sale', defaultCountry: 'FR' });
    const result = await importContacts(
      csv(
        'Customer,Mobile,Mail,Zone,first_name,city',
        'c1,06 12 34 56 78,Camille@Example.com,Europe/Paris,Camille,Paris',
        'c2,+1 415 555 2671,,America/Los_Angeles,"Lee, Jr.",San Francisco',
        'c3,06 12,,,Bad,Phone',
        'c4,,not-an-email,,Bad,Mail',
        'c5,,,,No,Address',
        'c6,06 98 76 54 32,,Mars/Olympus,Bad,Zone',
        'c7,06 98 76 54 32,too,many,fields,here,!',
        'c8,,dominique@example.com,,"Dominique ""Dom""",Lyon',
      ),
      { tenant: 'acme', listId: 'spring', database: pool, mapping: { id: 'Customer', phone: 'Mobile', email: 'Mail', timeZone: 'Zone' } },
    );
    expect(result).toMatchObject({ rows: 8, imported: 3, duplicates: 0, rejectedCount: 5 });
    expect(result.rejected).toEqual([
      { line: 4, reason: 'not a valid phone number: 06 12' },
      { line: 5, reason: 'not a valid e-mail address: not-an-email' },
      { line: 6, reason: 'no phone number or e-mail address' },
      { line: 7, reason: 'unknown time zone: Mars/Olympus' },
      { line: 8, reason: '7 fields where the header has 6' },
    ]);
    const rows = await exported('acme', 'spring');
    expect(rows).toEqual([
      { id: 'c1', phone: '+33612345678', email: 'camille@example.com', time_zone: 'Europe/Paris', outcome: '', outcome_reason: '', outcome_at: '', first_name: 'Camille', city: 'Paris' },
      { id: 'c2', phone: '+14155552671', email: '', time_zone: 'America/Los_Angeles', outcome: '', outcome_reason: '', outcome_at: '', first_name: 'Lee, Jr.', city: 'San Francisco' },
      { id: 'c8', phone: '', email: 'dominique@example.com', time_zone: '', outcome: '', outcome_reason: '', outcome_at: '', first_name: 'Dominique "Dom"', city: 'Lyon' },
    ]);
  });

  it('reports duplicates of earlier rows and of contacts already in the list; the first one wins', async () => {
    await saveContactList(store.db, { tenant: 'acme', id: 'dups', name: 'Dups', defaultCountry: 'US' });
    await addContact(store.db, 'acme', 'dups', { id: 'existing', phone: '+14155550100' });
    const result = await importContacts(
      csv('id,phone,email', 'a,(415) 555-2671,a@example.com', 'b,415 555 2671,', 'c,,A@example.com', 'existing,+14155550199,', 'd,+1 415 555 0100,', 'e,+14155550111,'),
      { tenant: 'acme', listId: 'dups', database: pool, mergeBatchSize: 2 },
    );
    expect(result).toMatchObject({ rows: 6, imported: 2, duplicates: 4, rejectedCount: 4 });
    expect(result.rejected).toEqual([
      { line: 3, reason: 'duplicate phone number +14155552671 (contact a)' },
      { line: 4, reason: 'duplicate e-mail address a@example.com (contact a)' },
      { line: 5, reason: 'duplicate id existing' },
      { line: 6, reason: 'duplicate phone number +14155550100 (contact existing)' },
    ]);
    expect((await exported('acme', 'dups')).map((r) => r.id)).toEqual(['existing', 'a', 'e']);
  });

  it('reports a row the CSV parser cannot read and loads the rows after it', async () => {
    await saveContactList(store.db, { tenant: 'acme', id: 'malformed', name: 'Malformed' });
    const result = await importContacts(csv('phone,name', '+33612345678,ok', '+33698765432,bad"quote', '+33611111111,fine'), { tenant: 'acme', listId: 'malformed', database: pool });
    expect(result.imported).toBe(2);
    expect(result.rejected).toEqual([{ line: 3, reason: expect.stringMatching(/^malformed CSV: /) as string }]);
  });

  it('refuses a mapping the header does not have, and an unknown list, loading nothing', async () => {
    await saveContactList(store.db, { tenant: 'acme', id: 'mapping', name: 'Mapping' });
    await expect(importContacts(csv('name,city', 'x,y'), { tenant: 'acme', listId: 'mapping', database: pool })).rejects.toThrow(ColumnMappingError);
    await expect(importContacts(csv('tel', '+33612345678'), { tenant: 'acme', listId: 'mapping', database: pool, mapping: { phone: 'mobile' } })).rejects.toThrow(/"mobile" is not in the header/);
    await expect(importContacts(csv('phone', '+33612345678'), { tenant: 'acme', listId: 'nope', database: pool })).rejects.toThrow(ContactListNotFoundError);
    expect(await countContacts(store.db, 'acme', 'mapping')).toBe(0);
  });

  it('loads nothing when the file fails midway (one transaction)', async () => {
    await saveContactList(store.db, { tenant: 'acme', id: 'broken', name: 'Broken' });
    function* failing(): Generator<string> {
      yield 'phone\n+33612345678\n+33698765432\n';
      throw new Error('upload cut');
    }
    await expect(importContacts(Readable.from(failing()), { tenant: 'acme', listId: 'broken', database: pool })).rejects.toThrow('upload cut');
    expect(await countContacts(store.db, 'acme', 'broken')).toBe(0);
    // The connection went back to the pool usable (or was replaced).
    const ok = await importContacts(csv('phone', '+33612345678'), { tenant: 'acme', listId: 'broken', database: pool });
    expect(ok.imported).toBe(1);
  });

  it('appends a second import after the first, and keeps only the first rejected rows asked for while counting all', async () => {
    await saveContactList(store.db, { tenant: 'acme', id: 'append', name: 'Append' });
    await importContacts(csv('phone', '+33612345678', '+33612345679'), { tenant: 'acme', listId: 'append', database: pool });
    const seen: number[] = [];
    const result = await importContacts(csv('phone', '+33600000001', 'x', 'y', 'z', '+33600000002'), {
      tenant: 'acme', listId: 'append', database: pool, keepRejected: 2, onRejected: (r) => seen.push(r.line),
    });
    expect(result).toMatchObject({ imported: 2, rejectedCount: 3 });
    expect(result.rejected.map((r) => r.line)).toEqual([3, 4]);
    expect(seen).toEqual([3, 4, 5]);
    expect((await exported('acme', 'append', 2)).map((r) => r.phone)).toEqual(['+33612345678', '+33612345679', '+33600000001', '+33600000002']);
  });
});

describe('adding one contact', () => {
  it('adds at the end, or at the top with the flag', async () => {
    await saveContactList(store.db, { tenant: 'acme', id: 'one', name: 'One', defaultCountry: 'FR' });
    await importContacts(csv('id,phone', 'a,0612345678', 'b,0612345679'), { tenant: 'acme', listId: 'one', database: pool });
    await addContact(store.db, 'acme', 'one', { id: 'last', phone: '0612345670', columns: { first_name: 'Zoé' } });
    await addContact(store.db, 'acme', 'one', { id: 'vip', email: 'VIP@example.com' }, { top: true });
    await addContact(store.db, 'acme', 'one', { id: 'vip2', email: 'vip2@example.com' }, { top: true });
    const rows = await exported('acme', 'one');
    expect(rows.map((r) => r.id)).toEqual(['vip2', 'vip', 'a', 'b', 'last']);
    expect(rows.find((r) => r.id === 'last')).toMatchObject({ phone: '+33612345670', first_name: 'Zoé' });
    expect(rows.find((r) => r.id === 'vip')).toMatchObject({ email: 'vip@example.com', first_name: '' });
  });

  it('gives concurrent adds distinct positions: they serialize on the list row', async () => {
    await saveContactList(store.db, { tenant: 'acme', id: 'race', name: 'Race' });
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => addContact(store.db, 'acme', 'race', { id: `t${i}`, email: `t${i}@example.com` }, { top: i % 2 === 0 })),
    );
    const rows = await exported('acme', 'race');
    expect(rows).toHaveLength(8);
    // The even ones went to the top, the odd ones to the end, whatever order they ran in.
    expect(new Set(rows.slice(0, 4).map((r) => r.id))).toEqual(new Set(['t0', 't2', 't4', 't6']));
    expect(new Set(rows.slice(4).map((r) => r.id))).toEqual(new Set(['t1', 't3', 't5', 't7']));
  });

  it('refuses bad fields, duplicates and unknown lists with named errors', async () => {
    await saveContactList(store.db, { tenant: 'acme', id: 'strict', name: 'Strict', defaultCountry: 'FR' });
    await addContact(store.db, 'acme', 'strict', { id: 'a', phone: '0612345678', email: 'a@example.com' });
    await expect(addContact(store.db, 'acme', 'strict', { phone: '12' })).rejects.toThrow(InvalidContactError);
    await expect(addContact(store.db, 'acme', 'strict', { phone: '+33612345678' })).rejects.toThrow(new DuplicateContactError('the list already has a contact with this phone number (+33612345678)'));
    await expect(addContact(store.db, 'acme', 'strict', { id: 'a', email: 'b@example.com' })).rejects.toThrow(/with this id \(a\)/);
    await expect(addContact(store.db, 'acme', 'strict', { email: 'A@example.com' })).rejects.toThrow(/e-mail address \(a@example.com\)/);
    await expect(addContact(store.db, 'acme', 'nope', { phone: '+33612345678' })).rejects.toThrow(ContactListNotFoundError);
    expect(await countContacts(store.db, 'acme', 'strict')).toBe(1);
  });
});
