import type { ColumnType, Kysely, Selectable } from 'kysely';
import { CampaignRunStates, type CampaignProblemReason } from '../config/index.ts';
import type { Database } from '../store/index.ts';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
type Big = ColumnType<string, number | string, number | string>;

export const CampaignStates = CampaignRunStates;
export type CampaignState = (typeof CampaignStates)[number];

/** One row per Campaign resource: its actor's snapshot (`campaignKind`) and its sweep of the list. */
export interface CampaignRunTable {
  tenant: string;
  name: string;
  state: CampaignState;
  snapshot: ColumnType<unknown, string, string>;
  list_id: string;
  channel: string;
  /** The highest list position swept so far. */
  cursor: Big | null;
  /** The lowest list position seen: contacts added at the top of the list during the run come below it. */
  low_water: Big | null;
  /** The partition its actor and runner live in (the campaign's key hashed; null until a router assigned it). */
  partition: number | null;
  /** Raised by every write of the actor's state: a write from memory is a compare-and-set on it. */
  version: ColumnType<number, number | undefined, number>;
  /** Why the campaign cannot run (a missing list or channel), or null when it can. */
  ready: ColumnType<ReadyProblem | null, string | null, string | null>;
  /** The resource's `spec.paused` as last applied (the actor's `specPaused`). */
  spec_paused: boolean | null;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface ReadyProblem {
  reason: CampaignProblemReason;
  message: string;
}

export const AttemptStatuses = ['waiting', 'sending', 'published', 'sent', 'delivered', 'failed', 'skipped'] as const;
export type AttemptStatus = (typeof AttemptStatuses)[number];

/** One attempt per (campaign, contact), written before its message is published. */
export interface CampaignAttemptTable {
  tenant: string;
  campaign: string;
  contact_id: string;
  list_id: string;
  /** The OutboundMessage id, its `Nats-Msg-Id`: a re-publish after a crash is dropped by JetStream. */
  message_id: string;
  /** The conversation the campaign message opens, which a reply joins. */
  conversation_id: string;
  channel: string;
  address: string | null;
  status: AttemptStatus;
  /** Why it was skipped, failed or is waiting. */
  reason: string | null;
  /** Waiting: when the recipient's sending window opens. */
  due_at: Timestamp | null;
  /** The epoch of the campaign's partition the attempt was written under (which owner wrote it). */
  epoch: Big;
  attempted_at: CreatedAt;
  published_at: Timestamp | null;
  /** The provider's first answer: `sent` (accepted) or `failed` (rejected). */
  provider_status: string | null;
  provider_at: Timestamp | null;
  platform_message_id: string | null;
  /** The last receipt: delivered, read or failed. */
  final_status: string | null;
  final_at: Timestamp | null;
  /** When the contact first replied within the reply window, and the conversation the reply went to. */
  replied_at: Timestamp | null;
  reply_conversation_id: string | null;
  /** The latest opt-out recorded for the address (any method, any time), kept by a trigger on the consent ledger. */
  opted_out_at: ColumnType<Date | null, never, never>;
  /** The first inbound message on this channel from the address at or after the message was sent, kept by a trigger on messages. */
  first_reply_at: ColumnType<Date | null, never, never>;
}

// A type alias, not an interface: `withTables` wants an index signature.
export type CampaignTables = {
  campaign_runs: CampaignRunTable;
  campaign_attempts: CampaignAttemptTable;
};

export type CampaignDatabase = Database & CampaignTables;
export type CampaignRunRow = Selectable<CampaignRunTable>;
export type CampaignAttemptRow = Selectable<CampaignAttemptTable>;

/** The store's Kysely instance with the campaign tables typed. */
export function campaignDb(db: Kysely<Database>): Kysely<CampaignDatabase> {
  return db.withTables<CampaignTables>();
}
