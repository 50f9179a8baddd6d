import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { applyReceipts, type ReceiptUpdate } from '../../src/store/index.ts';
import { useMigratedStore } from '../support/migrated-store.ts';
import { seedConversation, seedCustomer, seedMessage } from '../gateway/seed.ts';

const tenant = 'acme';
const at = new Date('2026-12-07T10:00:00Z');
const receipt = (messageId: string, status: ReceiptUpdate['status'], seconds = 0, reason?: string): ReceiptUpdate => ({ tenant, messageId, status, at: new Date(at.getTime() + seconds * 1000), reason });

/** Delivery receipts applied many per statement (the router's receipt batches). */
describe('applyReceipts', () => {
  const database = useMigratedStore();

  const outbound = async () => {
    const { db } = database.store;
    const customerId = await seedCustomer(db, tenant);
    const conversationId = await seedConversation(db, { tenant, customerId, channel: 'sms', state: 'connected' });
    return seedMessage(db, { tenant, conversationId, customerId, channel: 'sms', direction: 'outbound', sentAt: at.toISOString(), text: 'hello' });
  };
  const statusOf = async (id: string) =>
    (await database.store.db.selectFrom('messages').select(['delivery_status', 'delivery_reason', 'delivery_updated_at']).where('id', '=', id).executeTakeFirstOrThrow());

  it('moves a status only forward, whatever the order in a batch or across batches, and keeps failed final', async () => {
    const { db } = database.store;
    const [a, b, c] = [await outbound(), await outbound(), await outbound()];
    // Out of order within one batch: the highest wins, with its own time and reason.
    await applyReceipts(db, [receipt(a, 'delivered', 2), receipt(a, 'sent', 1), receipt(b, 'read', 3), receipt(b, 'failed', 4, 'carrier'), receipt(c, 'sent', 1)]);
    expect(await statusOf(a)).toMatchObject({ delivery_status: 'delivered', delivery_updated_at: new Date(at.getTime() + 2000) });
    expect(await statusOf(b)).toMatchObject({ delivery_status: 'failed', delivery_reason: 'carrier' });
    // Across batches: a late `sent` changes nothing; nothing moves a failed message.
    await applyReceipts(db, [receipt(a, 'sent', 5), receipt(b, 'read', 6), receipt(c, 'read', 7)]);
    expect((await statusOf(a)).delivery_status).toBe('delivered');
    expect((await statusOf(b)).delivery_status).toBe('failed');
    expect((await statusOf(c)).delivery_status).toBe('read');
  });

  it('knows the messages Parley sent — a conversation’s, a campaign’s, a notification’s — and no other', async () => {
    const { db } = database.store;
    const conversationMessage = await outbound();
    const campaignMessage = randomUUID();
    await sql`insert into campaign_attempts (tenant, campaign, contact_id, list_id, message_id, conversation_id, channel, address, status, epoch)
              values (${tenant}, 'spring', 'c1', 'l', ${campaignMessage}, ${randomUUID()}, 'sms', '+12125550100', 'published', 1)`.execute(db);
    const notificationMessage = randomUUID();
    await sql`insert into notifications (id, tenant, client_id, request_hash, channel, channel_kind, recipient, category, transactional, status, message_id, conversation_id)
              values (${randomUUID()}, ${tenant}, 'crm', 'h', 'sms', 'sms', '+12125550101', 'orders', true, 'accepted', ${notificationMessage}, ${randomUUID()})`.execute(db);
    const stranger = randomUUID();
    const elsewhere = { ...receipt(conversationMessage, 'sent'), tenant: 'globex' };
    const known = await applyReceipts(db, [receipt(conversationMessage, 'sent'), receipt(campaignMessage, 'sent'), receipt(notificationMessage, 'delivered'), receipt(stranger, 'sent'), elsewhere]);
    expect([...known].sort()).toEqual([conversationMessage, campaignMessage, notificationMessage].sort());
    // Another tenant's receipt for the same id is not applied.
    expect((await statusOf(conversationMessage)).delivery_status).toBe('sent');
  });
});
