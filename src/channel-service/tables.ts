import type { Kysely } from 'kysely';

/** The channels role's tables (migration 2026-12-05T01-channel-service). */
export interface ChannelTables {
  channel_sent_messages: {
    tenant: string;
    message_id: string;
    channel: string;
    /** The customer's id on the channel (OutboundMessage `to.id`). */
    customer_id: string;
    provider_message_id: string | null;
    /** `attempting` (a call may be in flight), `retry`, or the last receipt status. */
    status: SentStatus;
    reason: string | null;
    attempts: number;
    attempt_started_at: Date | null;
    sent_at: Date | null;
    updated_at: Date;
  };
  channel_customers: {
    tenant: string;
    channel: string;
    customer_id: string;
    last_inbound_at: Date | null;
    replies_since_inbound: number;
    reply_token: string | null;
    reply_token_at: Date | null;
  };
  channel_pacing: { key: string; tat: Date };
  channel_reached: { account: string; recipient: string; reached_at: Date };
}

export const SentStatuses = ['attempting', 'retry', 'sent', 'delivered', 'read', 'failed'] as const;
export type SentStatus = (typeof SentStatuses)[number];

/** Any Kysely whose database has (at least) the channels role's tables. */
export type ChannelDb = Kysely<ChannelTables>;

/** The process's database seen through the channels role's tables only. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the store's Database type is not this folder's concern
export function channelDb(db: Kysely<any>): ChannelDb {
  return db as ChannelDb;
}
