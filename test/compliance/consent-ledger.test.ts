import { text } from 'node:stream/consumers';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useMigratedStore } from '../support/migrated-store.ts';
import { consentHistory, consentState, exportConsentLedger, InvalidAddressError, recordOptIn, recordOptOut } from '../../src/compliance/index.ts';

describe('consent ledger', () => {
  const database = useMigratedStore();

  it('records an opt-out and an opt-in, and the current state follows, per tenant', async () => {
    const { db } = database.store;
    expect(await consentState(db, 'acme', '+33612345678')).toBe('unknown');
    await recordOptOut(db, { tenant: 'acme', address: '06 12 34 56 78', defaultCountry: 'FR', method: 'keyword', keyword: 'stop', channel: 'sms-fr', channelKind: 'sms', source: 'conversation c1' });
    expect(await consentState(db, 'acme', '+33612345678')).toBe('opted-out');
    // Another tenant's customer with the same number is not affected.
    expect(await consentState(db, 'globex', '+33612345678')).toBe('unknown');
    await recordOptIn(db, { tenant: 'acme', address: '+33612345678', method: 'keyword', keyword: 'START', channel: 'sms-fr', channelKind: 'sms', source: 'conversation c2' });
    expect(await consentState(db, 'acme', '+33612345678')).toBe('opted-in');
    const history = await consentHistory(db, 'acme', '+33612345678');
    expect(history.map((e) => [e.state, e.method, e.keyword, e.source])).toEqual([
      ['opted-out', 'keyword', 'stop', 'conversation c1'],
      ['opted-in', 'keyword', 'START', 'conversation c2'],
    ]);
  });

  it('keeps a late event in the ledger without letting it override a newer state', async () => {
    const { db } = database.store;
    const address = 'late@example.com';
    await recordOptOut(db, { tenant: 'acme', address, method: 'api', source: 'client crm', occurredAt: new Date('2026-12-01T10:00:00Z') });
    await recordOptIn(db, { tenant: 'acme', address, method: 'import', source: 'old-consents.csv', occurredAt: new Date('2026-11-01T10:00:00Z') });
    expect(await consentState(db, 'acme', address)).toBe('opted-out');
    expect(await consentHistory(db, 'acme', address)).toHaveLength(2);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of the ledger (append-only, enforced by the database)', async () => {
    const { db } = database.store;
    await recordOptOut(db, { tenant: 'acme', address: 'audit@example.com', method: 'agent', source: 'agent a1' });
    await expect(db.updateTable('consent_events').set({ state: 'opted-in' }).where('address', '=', 'audit@example.com').execute()).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(db.deleteFrom('consent_events').where('address', '=', 'audit@example.com').execute()).rejects.toThrow(/append-only: DELETE refused/);
    await expect(sql`TRUNCATE consent_events CASCADE`.execute(db)).rejects.toThrow(/append-only: TRUNCATE refused/);
    expect((await consentHistory(db, 'acme', 'audit@example.com'))[0]?.state).toBe('opted-out');
  });

  it('rejects an address that is neither a phone nor an e-mail, recording nothing', async () => {
    const { db } = database.store;
    await expect(recordOptOut(db, { tenant: 'bad', address: '12', method: 'api', source: 'x' })).rejects.toThrow(InvalidAddressError);
    const count = await db.selectFrom('consent_events').select((eb) => eb.fn.countAll<string>().as('n')).where('tenant', '=', 'bad').executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });

  it('exports a tenant’s ledger as CSV, oldest first, across pages, within a time range', async () => {
    const { db } = database.store;
    for (let i = 0; i < 7; i++) {
      await recordOptOut(db, { tenant: 'export', address: `u${i}@example.com`, method: 'keyword', keyword: 'STOP', channel: 'sms', channelKind: 'sms', source: `c${i}`, occurredAt: new Date(Date.UTC(2026, 11, 1, i)) });
    }
    await recordOptOut(db, { tenant: 'other', address: 'u0@example.com', method: 'api', source: 'x' });
    const rows = parse<Record<string, string>>(await text(exportConsentLedger(db, 'export', { pageSize: 3 })), { columns: true });
    expect(rows.map((r) => r.address)).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `u${i}@example.com`));
    expect(rows[0]).toMatchObject({ state: 'opted-out', method: 'keyword', keyword: 'STOP', channel: 'sms', channel_kind: 'sms', source: 'c0', occurred_at: '2026-12-01T00:00:00.000Z' });
    const ranged = parse<Record<string, string>>(await text(exportConsentLedger(db, 'export', { from: new Date(Date.UTC(2026, 11, 1, 2)), to: new Date(Date.UTC(2026, 11, 1, 4)) })), { columns: true });
    expect(ranged.map((r) => r.source)).toEqual(['c2', 'c3']);
  });
});
