import { sql } from 'kysely';
import type { DeliveryStatus } from '../contract/index.ts';
import type { ChannelDb, SentStatus } from './tables.ts';

export interface SentKey {
  readonly tenant: string;
  readonly messageId: string;
}

export interface AttemptStart {
  /** The status before this attempt: `attempting` means an earlier one may have reached the provider. */
  readonly previous: SentStatus | undefined;
  readonly providerMessageId: string | null;
  readonly reason: string | null;
}

/**
 * Records "an attempt starts" before the provider is called, so that a process that dies
 * between the provider's accept and the JetStream ack leaves a trace: the next delivery
 * sees `attempting` and knows it may be a re-send.
 */
export async function startAttempt(db: ChannelDb, key: SentKey, channel: string, customerId: string, now: Date): Promise<AttemptStart> {
  const before = await db
    .selectFrom('channel_sent_messages')
    .select(['status', 'provider_message_id', 'reason'])
    .where('tenant', '=', key.tenant)
    .where('message_id', '=', key.messageId)
    .executeTakeFirst();
  if (before && before.status !== 'attempting' && before.status !== 'retry') {
    return { previous: before.status, providerMessageId: before.provider_message_id, reason: before.reason };
  }
  await db
    .insertInto('channel_sent_messages')
    .values({ tenant: key.tenant, message_id: key.messageId, channel, customer_id: customerId, status: 'attempting', attempts: 1, attempt_started_at: now, updated_at: now })
    .onConflict((oc) => oc.columns(['tenant', 'message_id']).doUpdateSet({ status: 'attempting', attempts: sql`channel_sent_messages.attempts + 1`, attempt_started_at: now, updated_at: now }))
    .execute();
  return { previous: before?.status, providerMessageId: before?.provider_message_id ?? null, reason: before?.reason ?? null };
}

/** The provider's answer was "try again later": the next attempt is not a blind re-send. */
export async function markRetry(db: ChannelDb, key: SentKey, reason: string, now: Date): Promise<void> {
  await setStatus(db, key, { status: 'retry', reason, updated_at: now });
}

/** The outcome of the send: `sent` with the provider's id, or `failed` with the reason. */
export async function recordOutcome(db: ChannelDb, key: SentKey, outcome: { status: 'sent'; providerMessageId: string | undefined } | { status: 'failed'; reason: string }, now: Date): Promise<void> {
  if (outcome.status === 'sent') await setStatus(db, key, { status: 'sent', provider_message_id: outcome.providerMessageId ?? null, sent_at: now, updated_at: now });
  else await setStatus(db, key, { status: 'failed', reason: outcome.reason, updated_at: now });
}

async function setStatus(db: ChannelDb, key: SentKey, values: Partial<Record<string, unknown>>): Promise<void> {
  await db.updateTable('channel_sent_messages').set(values).where('tenant', '=', key.tenant).where('message_id', '=', key.messageId).execute();
}

const rank: Record<string, number> = { attempting: 0, retry: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

/** Parley's id of the message the provider calls `providerMessageId` on this channel, if we sent it. */
export async function messageIdOfProviderId(db: ChannelDb, tenant: string, channel: string, providerMessageId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('channel_sent_messages')
    .select('message_id')
    .where('tenant', '=', tenant)
    .where('channel', '=', channel)
    .where('provider_message_id', '=', providerMessageId)
    .executeTakeFirst();
  return row?.message_id;
}

/** Moves a sent message's status forward (never back from read to delivered; failed is final). */
export async function advanceStatus(db: ChannelDb, key: SentKey, status: DeliveryStatus, reason: string | undefined): Promise<void> {
  const lower = Object.keys(rank).filter((s) => (rank[s] ?? 0) < rank[status]! && s !== 'failed');
  await db
    .updateTable('channel_sent_messages')
    .set({ status, reason: reason ?? null, updated_at: new Date() })
    .where('tenant', '=', key.tenant)
    .where('message_id', '=', key.messageId)
    .where('status', 'in', lower as SentStatus[])
    .execute();
}

/**
 * A watermark ("everything sent to this customer up to `upTo` was read"): the messages it
 * covers whose status is still below it, oldest first.
 */
export async function coveredByWatermark(db: ChannelDb, tenant: string, channel: string, customerId: string, upTo: Date, status: 'delivered' | 'read'): Promise<string[]> {
  const below: SentStatus[] = status === 'read' ? ['sent', 'delivered'] : ['sent'];
  const rows = await db
    .selectFrom('channel_sent_messages')
    .select('message_id')
    .where('tenant', '=', tenant)
    .where('channel', '=', channel)
    .where('customer_id', '=', customerId)
    .where('sent_at', '<=', upTo)
    .where('status', 'in', below)
    .orderBy('sent_at')
    .limit(1000)
    .execute();
  return rows.map((r) => r.message_id);
}
