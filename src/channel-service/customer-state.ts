import { sql } from 'kysely';
import type { SendState } from '../channels/index.ts';
import type { ChannelDb } from './tables.ts';

export interface CustomerKey {
  readonly tenant: string;
  readonly channel: string;
  readonly customerId: string;
}

/**
 * A customer wrote: the windows open again from `at`, X's reply count starts over, and a
 * LINE reply token (if any) replaces the previous one. An older message arriving late
 * (provider retries) never moves the time back.
 */
export async function recordInbound(db: ChannelDb, key: CustomerKey, at: Date, replyToken: string | undefined): Promise<void> {
  await db
    .insertInto('channel_customers')
    .values({ tenant: key.tenant, channel: key.channel, customer_id: key.customerId, last_inbound_at: at, replies_since_inbound: 0, reply_token: replyToken ?? null, reply_token_at: replyToken ? at : null })
    .onConflict((oc) =>
      oc.columns(['tenant', 'channel', 'customer_id']).doUpdateSet({
        last_inbound_at: sql`greatest(channel_customers.last_inbound_at, excluded.last_inbound_at)`,
        replies_since_inbound: sql`case when channel_customers.last_inbound_at is null or excluded.last_inbound_at > channel_customers.last_inbound_at then 0 else channel_customers.replies_since_inbound end`,
        reply_token: sql`case when excluded.reply_token is not null and (channel_customers.reply_token_at is null or excluded.reply_token_at >= channel_customers.reply_token_at) then excluded.reply_token else channel_customers.reply_token end`,
        reply_token_at: sql`case when excluded.reply_token is not null and (channel_customers.reply_token_at is null or excluded.reply_token_at >= channel_customers.reply_token_at) then excluded.reply_token_at else channel_customers.reply_token_at end`,
      }),
    )
    .execute();
}

/** What the channel's rules need to know about this customer at `now`. */
export async function sendStateOf(db: ChannelDb, key: CustomerKey, now: Date): Promise<SendState> {
  const row = await db
    .selectFrom('channel_customers')
    .select(['last_inbound_at', 'replies_since_inbound', 'reply_token', 'reply_token_at'])
    .where('tenant', '=', key.tenant)
    .where('channel', '=', key.channel)
    .where('customer_id', '=', key.customerId)
    .executeTakeFirst();
  return {
    now,
    ...(row?.last_inbound_at ? { lastInboundAt: row.last_inbound_at } : {}),
    repliesSinceInbound: row?.replies_since_inbound ?? 0,
    ...(row?.reply_token && row.reply_token_at ? { replyToken: { token: row.reply_token, receivedAt: row.reply_token_at } } : {}),
  };
}

/** After a send: `replies` more replies since the customer's message; the reply token, if it was used, is gone. */
export async function recordSent(db: ChannelDb, key: CustomerKey, replies: number, usedReplyToken: string | undefined): Promise<void> {
  await db
    .insertInto('channel_customers')
    .values({ tenant: key.tenant, channel: key.channel, customer_id: key.customerId, replies_since_inbound: replies })
    .onConflict((oc) =>
      oc.columns(['tenant', 'channel', 'customer_id']).doUpdateSet({
        replies_since_inbound: sql`channel_customers.replies_since_inbound + ${replies}`,
        ...(usedReplyToken
          ? {
              reply_token: sql`case when channel_customers.reply_token = ${usedReplyToken} then null else channel_customers.reply_token end`,
              reply_token_at: sql`case when channel_customers.reply_token = ${usedReplyToken} then null else channel_customers.reply_token_at end`,
            }
          : {}),
      }),
    )
    .execute();
}
