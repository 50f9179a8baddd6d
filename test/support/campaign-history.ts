import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { seeded } from '../../bench/random.ts';
import { campaignDb, type AttemptStatus } from '../../src/campaigns/index.ts';
import type { Database } from '../../src/store/index.ts';

/**
 * A finished SMS campaign written as its runner, the receipts, the keyword hook and the
 * router leave it: a list, one attempt per reached contact with its outcome, opt-outs
 * (some before the message, some after) and replies (some inside the reply window, some
 * after it). The expected results are counted here from the generated outcomes.
 */
export interface CampaignHistory {
  contacts: number;
  attempted: number;
  sent: number;
  delivered: number;
  failed: number;
  skippedByReason: Record<string, number>;
  waiting: number;
  optOuts: number;
  replies: number;
}

const HOUR = 3_600_000;

export async function writeCampaignHistory(db: Kysely<Database>, o: { tenant: string; campaign: string; contacts: number; seed: number; startedAt: Date; replyWindowMs: number }): Promise<CampaignHistory> {
  const rng = seeded(o.seed);
  const listId = `${o.campaign}-list`;
  const channel = 'sms';
  const cdb = campaignDb(db);
  const expected: CampaignHistory = { contacts: o.contacts, attempted: 0, sent: 0, delivered: 0, failed: 0, skippedByReason: {}, waiting: 0, optOuts: 0, replies: 0 };
  await db.insertInto('contact_lists').values({ tenant: o.tenant, id: listId, name: listId, head: 0, tail: o.contacts }).execute();
  const contacts = [];
  const attempts = [];
  const consent = [];
  const replies: { conversation: string; address: string; at: Date }[] = [];
  for (let i = 0; i < o.contacts; i++) {
    const address = `+3361${String(o.seed).padStart(2, '0')}${String(i).padStart(5, '0')}`;
    const contactId = `c${i}`;
    contacts.push({ tenant: o.tenant, list_id: listId, contact_id: contactId, position: i, phone: address });
    if (rng.next() < 0.1) continue; // not reached yet
    expected.attempted++;
    const attemptedAt = new Date(o.startedAt.getTime() + i * 1000);
    const roll = rng.next();
    const status: AttemptStatus = roll < 0.15 ? 'skipped' : roll < 0.2 ? 'failed' : roll < 0.25 ? 'waiting' : roll < 0.4 ? 'sent' : roll < 0.5 ? 'published' : 'delivered';
    const reason = status === 'skipped' ? rng.pick(['opted-out', 'do-not-contact', 'no-address']) : status === 'failed' ? 'rejected' : null;
    const conversationId = randomUUID();
    attempts.push({
      tenant: o.tenant,
      campaign: o.campaign,
      contact_id: contactId,
      list_id: listId,
      message_id: randomUUID(),
      conversation_id: conversationId,
      channel,
      address,
      status,
      reason,
      epoch: 1,
      attempted_at: attemptedAt,
      published_at: ['sent', 'published', 'delivered'].includes(status) ? attemptedAt : null,
    });
    if (status === 'skipped') expected.skippedByReason[reason!] = (expected.skippedByReason[reason!] ?? 0) + 1;
    if (status === 'failed') expected.failed++;
    if (status === 'waiting') expected.waiting++;
    const sent = ['sent', 'published', 'delivered'].includes(status);
    if (sent) expected.sent++;
    if (status === 'delivered') expected.delivered++;
    // Opt-outs: after the message (counted), or before it (an older opt-out: not the campaign's).
    const optOut = rng.next();
    if (optOut < 0.1) {
      const after = optOut < 0.06;
      consent.push({ tenant: o.tenant, address, state: 'opted-out' as const, occurred_at: new Date(attemptedAt.getTime() + (after ? 1 : -1) * 60_000), method: 'keyword' as const, channel, source: 'test' });
      if (after && sent) expected.optOuts++;
    }
    const reply = rng.next();
    if (reply < 0.2) {
      const inWindow = reply < 0.15;
      replies.push({ conversation: conversationId, address, at: new Date(attemptedAt.getTime() + (inWindow ? 0.5 * o.replyWindowMs : o.replyWindowMs + HOUR)) });
      if (inWindow && sent) expected.replies++;
    }
  }
  await db.insertInto('contacts').values(contacts).execute();
  if (attempts.length) await cdb.insertInto('campaign_attempts').values(attempts).execute();
  if (consent.length) await db.insertInto('consent_events').values(consent).execute();
  for (const r of replies) {
    const person = randomUUID();
    await db.insertInto('customers').values({ id: person, tenant: o.tenant, name: null }).execute();
    await db.insertInto('identities').values({ tenant: o.tenant, kind: 'phone', channel, value: r.address, customer_id: person }).execute();
    await db
      .insertInto('conversations')
      .values({ id: r.conversation, tenant: o.tenant, channel, customer_id: person, external_id: r.address, state: 'closed', queue: null, last_message_at: r.at, closed_at: r.at, snapshot: '{}' })
      .execute();
    await db
      .insertInto('messages')
      .values({ id: randomUUID(), tenant: o.tenant, conversation_id: r.conversation, customer_id: person, channel, direction: 'inbound', text: 'yes', sent_at: r.at })
      .execute();
  }
  await cdb
    .insertInto('campaign_runs')
    .values({
      tenant: o.tenant,
      name: o.campaign,
      state: 'completed',
      snapshot: JSON.stringify({ status: 'done', value: 'completed', context: { tenant: o.tenant, id: o.campaign, name: o.campaign, specPaused: null, startedAt: o.startedAt.toISOString(), endedAt: new Date(o.startedAt.getTime() + o.contacts * 1000).toISOString() } }),
      list_id: listId,
      channel,
      partition: 0,
    })
    .execute();
  return expected;
}
