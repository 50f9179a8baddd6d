import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignDb, recordReceipts, type CampaignDatabase } from '../../src/campaigns/index.ts';
import type { DeliveryReceipt } from '../../src/contract/index.ts';
import { migrateToLatest, openStore, type Store } from '../../src/store/index.ts';
import { startPostgresService, type PostgresService } from '../support/postgres-service.ts';
import type { Kysely } from 'kysely';

let postgres: PostgresService;
let store: Store;
let db: Kysely<CampaignDatabase>;

beforeAll(async () => {
  postgres = await startPostgresService();
  store = await openStore({ url: postgres.url });
  await migrateToLatest(store.db);
  db = campaignDb(store.db);
});

afterAll(async () => {
  await store?.close();
  await postgres?.stop();
});

async function attempt(status: 'sending' | 'published'): Promise<string> {
  const messageId = randomUUID();
  await db
    .insertInto('campaign_attempts')
    .values({ tenant: 't1', campaign: 'c', contact_id: messageId, list_id: 'l', message_id: messageId, conversation_id: randomUUID(), channel: 'sms', address: '+12125550100', status, reason: null, due_at: null, epoch: 1 })
    .execute();
  return messageId;
}

const receipt = (messageId: string, status: DeliveryReceipt['status'], at: string, extra: Partial<DeliveryReceipt> = {}): DeliveryReceipt => ({
  version: 1,
  tenant: 't1',
  channel: 'sms',
  messageId,
  status,
  timestamp: at,
  ...extra,
});

const row = (messageId: string) => db.selectFrom('campaign_attempts').selectAll().where('message_id', '=', messageId).executeTakeFirstOrThrow();

describe('recordReceipts: a batch of receipts in one statement per round', () => {
  it('applies receipts of one message in their order within a batch: sent then delivered keeps the provider answer and the final receipt', async () => {
    const m = await attempt('published');
    await recordReceipts(db, [receipt(m, 'sent', '2026-12-07T17:00:01Z', { platformMessageId: 'SM1' }), receipt(m, 'delivered', '2026-12-07T17:00:05Z')]);
    const r = await row(m);
    expect(r.status).toBe('delivered');
    expect(r.provider_status).toBe('sent');
    expect(r.provider_at?.toISOString()).toBe('2026-12-07T17:00:01.000Z');
    expect(r.platform_message_id).toBe('SM1');
    expect(r.final_status).toBe('delivered');
    expect(r.final_at?.toISOString()).toBe('2026-12-07T17:00:05.000Z');
  });

  it('never moves an attempt backwards: a late `sent` after `delivered` in the same batch leaves it delivered', async () => {
    const m = await attempt('sending');
    await recordReceipts(db, [receipt(m, 'delivered', '2026-12-07T17:00:05Z'), receipt(m, 'sent', '2026-12-07T17:00:01Z')]);
    const r = await row(m);
    expect(r.status).toBe('delivered');
    expect(r.final_status).toBe('delivered');
  });

  it('records many messages at once, a failure with its reason, and ignores receipts of messages that are not campaign attempts', async () => {
    const ok = await Promise.all(Array.from({ length: 50 }, () => attempt('published')));
    const bad = await attempt('published');
    const updated = await recordReceipts(db, [
      ...ok.map((m) => receipt(m, 'delivered', '2026-12-07T17:00:05Z')),
      receipt(bad, 'failed', '2026-12-07T17:00:02Z', { reason: 'UnknownDestination' }),
      receipt(randomUUID(), 'delivered', '2026-12-07T17:00:05Z'),
    ]);
    expect(updated).toBe(51);
    const statuses = await db.selectFrom('campaign_attempts').select('status').where('message_id', 'in', ok).execute();
    expect(statuses.every((s) => s.status === 'delivered')).toBe(true);
    const failed = await row(bad);
    expect([failed.status, failed.reason, failed.provider_status]).toEqual(['failed', 'UnknownDestination', 'failed']);
  });

  it('a receipt of another tenant does not touch the attempt', async () => {
    const m = await attempt('published');
    await recordReceipts(db, [{ ...receipt(m, 'delivered', '2026-12-07T17:00:05Z'), tenant: 'other' }]);
    expect((await row(m)).status).toBe('published');
  });
});
