import { sql } from 'kysely';
import type { Refusal } from '../channels/index.ts';
import type { ChannelDb } from './tables.ts';

const dayMs = 24 * 3_600_000;

/**
 * WhatsApp's messaging limit for a business-initiated message (outside the customer's
 * window): refused when `tier` unique customers were already reached in the last 24 h and
 * this one is not among them. Otherwise the reach is recorded (a later send to the same
 * customer within 24 h does not count again).
 *
 * Two processes checking at the same time may both pass at the edge of the tier (the check
 * and the record are not one transaction); WhatsApp itself refuses the excess.
 */
export async function checkMessagingLimit(db: ChannelDb, account: string, recipient: string, now: Date, tier: number | 'unlimited'): Promise<Refusal | undefined> {
  if (tier === 'unlimited') return undefined;
  const since = new Date(now.getTime() - dayMs);
  const row = await db
    .selectFrom('channel_reached')
    .select((eb) => [eb.fn.countAll<string>().as('reached'), eb.fn.max(sql<number>`case when recipient = ${recipient} then 1 else 0 end`).as('self')])
    .where('account', '=', account)
    .where('reached_at', '>', since)
    .executeTakeFirstOrThrow();
  if (Number(row.self ?? 0) === 1 || Number(row.reached) < tier) return undefined;
  return {
    ok: false,
    code: 'MessagingLimitReached',
    reason: `The WhatsApp messaging limit of ${tier} customers reached outside a conversation window per 24 hours is used up.`,
  };
}

/** Records that `recipient` was reached outside a window at `now` (after the provider accepted). */
export async function recordReached(db: ChannelDb, account: string, recipient: string, now: Date): Promise<void> {
  await db
    .insertInto('channel_reached')
    .values({ account, recipient, reached_at: now })
    .onConflict((oc) => oc.columns(['account', 'recipient']).doUpdateSet({ reached_at: sql`case when channel_reached.reached_at <= ${new Date(now.getTime() - dayMs)} then excluded.reached_at else channel_reached.reached_at end` }))
    .execute();
}
