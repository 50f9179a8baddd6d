import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { MediaType } from '../contract/index.ts';
import type { QualityTables } from './quality-tables.ts';
import type { ReportTables } from './report-tables.ts';

/**
 * The typed shape of Parley's PostgreSQL schema. Every row carries its tenant.
 * Timestamps are `timestamptz`, read back as `Date`.
 */

type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** Defaulted by the database to now(). */
type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface CustomerTable {
  id: string;
  tenant: string;
  name: string | null;
  created_at: CreatedAt;
}

/**
 * The ways one customer is recognized. `kind` is `channel` (then `channel` names it and
 * `value` is `<idType>:<id>`), `phone` or `email` (then `channel` is '' and the identity
 * links the customer across channels).
 */
export interface IdentityTable {
  tenant: string;
  kind: 'channel' | 'phone' | 'email';
  channel: string;
  value: string;
  customer_id: string;
  created_at: CreatedAt;
}

export interface ConversationTable {
  id: string;
  tenant: string;
  channel: string;
  customer_id: string;
  external_id: string;
  state: string;
  queue: string | null;
  agent_id: string | null;
  last_message_at: Timestamp;
  created_at: CreatedAt;
  closed_at: Timestamp | null;
  /** Who opened it: the customer (wrote first, or replied to an outbound message) or an agent (`POST /v1/conversations`). */
  started_by: Generated<'customer' | 'agent'>;
  /** The conversation actor's persisted XState snapshot. */
  snapshot: Json<unknown>;
  /** Its partition (from the conversation key); null only before `ensurePartitioning` ran. */
  partition: number | null;
  /** Raised by every write of the snapshot: the compare-and-set of an in-memory actor's write (see `saveActors`). */
  version: Generated<number>;
}

export interface MessageTable {
  id: string;
  tenant: string;
  conversation_id: string;
  customer_id: string;
  channel: string;
  direction: 'inbound' | 'outbound';
  /** The provider's message id (inbound) — unique per channel so redeliveries are stored once. */
  platform_message_id: string | null;
  agent_id: string | null;
  text: string | null;
  attachments: Json<unknown[]> | null;
  content: Json<unknown[]> | null;
  /** The time the message is filed under (ordering, threading). */
  sent_at: Timestamp;
  /** Inbound: the provider's time from the envelope, kept even when `sent_at` had to differ from it. */
  provider_sent_at: Timestamp | null;
  delivery_status: string | null;
  delivery_reason: string | null;
  delivery_updated_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface AgentTable {
  tenant: string;
  id: string;
  name: string;
  presence: string;
  /** The agent actor's persisted XState snapshot (profile, capacity, offers, assignments). */
  snapshot: Json<unknown>;
  updated_at: Timestamp;
  partition: number | null;
  /** Raised by every write of the snapshot (see `ConversationTable.version`). */
  version: Generated<number>;
}

export interface AssignmentTable {
  /** The offer id. */
  id: string;
  tenant: string;
  conversation_id: string;
  agent_id: string;
  queue: string | null;
  state: 'offered' | 'accepted' | 'rejected' | 'timeout' | 'rescinded' | 'declined' | 'ended';
  offered_at: Timestamp;
  answered_at: Timestamp | null;
  ended_at: Timestamp | null;
  /** Why this agent was chosen (method, candidates, score). */
  reason: Json<unknown>;
  wrap_up_code: string | null;
  /** The conversation's media type: the kind of slot it takes (null for offers made before it was kept). */
  media_type: MediaType | null;
  /**
   * The agent holds a slot for it: from its acceptance until it ends, or until the end of
   * its after-conversation work. These rows are the agent's active conversations (its
   * snapshot row does not list them: see `agentSnapshot`).
   */
  holds_slot: Generated<boolean>;
  /** When the after-conversation work of an ended assignment ends (null: none). */
  after_work_until: Timestamp | null;
}

/** Durable timers: an actor's future event, fired by the router's timer service. */
export interface TimerTable {
  id: string;
  tenant: string;
  /** The kind of actor (a kind registered with the runtime: conversation, agent). */
  actor_kind: string;
  actor_id: string;
  name: string;
  due_at: Timestamp;
  event: Json<unknown>;
  /** The actor's partition: only its owner fires the timer. */
  partition: number | null;
}

/**
 * Transactional outbox: effects written in the same transaction as the state that caused
 * them, dispatched after commit, deleted once done (by the receiving actor's own
 * transaction for `actor` rows, after JetStream acknowledged for `publish` rows).
 */
export interface OutboxTable {
  id: Generated<string>;
  tenant: string;
  kind: 'actor' | 'publish';
  target_kind: string | null;
  target_id: string | null;
  subject: string | null;
  msg_id: string | null;
  payload: Json<unknown>;
  created_at: CreatedAt;
  /** The partition of the transaction that wrote it: its owner retries what is left behind. */
  partition: number | null;
  /** The W3C trace context (`traceparent`, `tracestate`) of the step that wrote it; null when tracing is off. */
  trace_context: ColumnType<Record<string, string> | null, string | null | undefined, string | null>;
}

/** The fencing table: the epoch of each partition's current lease, checked on every write. */
export interface PartitionEpochTable {
  partition: number;
  epoch: ColumnType<string, number | string, number | string>;
  owner: string;
  claimed_at: CreatedAt;
}

/** Settings the whole cluster must agree on (the partition count). */
export interface ClusterSettingTable {
  name: string;
  value: string;
}

/** A contact list: contacts to reach, in order (`position`), loaded by CSV import or one at a time. */
export interface ContactListTable {
  tenant: string;
  id: string;
  name: string;
  /** ISO 3166 alpha-2 country for phone numbers written without a country code. */
  default_country: string | null;
  /** The names of the extra columns its contacts carry, in the order first seen. */
  columns: ColumnType<string[], string | undefined, string>;
  /** The smallest position used (a contact added at the top takes `head - 1`). */
  head: ColumnType<string, number | string | undefined, number | string>;
  /** The largest position used (imports append after it). */
  tail: ColumnType<string, number | string | undefined, number | string>;
  created_at: CreatedAt;
}

export interface ContactTable {
  tenant: string;
  list_id: string;
  contact_id: ColumnType<string, string | undefined, string>;
  position: ColumnType<string, number | string, number | string>;
  /** E.164. */
  phone: string | null;
  /** Lower-cased. */
  email: string | null;
  /** IANA time zone name. */
  time_zone: string | null;
  columns: ColumnType<Record<string, string>, string | undefined, string>;
  /** What a campaign did with this contact (sent, delivered, failed, skipped), filled in by campaigns. */
  outcome: string | null;
  outcome_reason: string | null;
  outcome_at: Timestamp | null;
  created_at: CreatedAt;
}

/** A do-not-contact list of a tenant, for one channel kind or (null) for all. */
export interface DncListTable {
  tenant: string;
  id: string;
  name: string;
  channel_kind: string | null;
  created_at: CreatedAt;
}

export interface DncEntryTable {
  tenant: string;
  list_id: string;
  /** E.164 phone or lower-cased e-mail. */
  address: string;
  source: string;
  note: string | null;
  added_at: CreatedAt;
}

/** The consent ledger: append-only (a trigger refuses UPDATE, DELETE and TRUNCATE). */
export interface ConsentEventTable {
  id: Generated<string>;
  tenant: string;
  address: string;
  state: 'opted-out' | 'opted-in';
  occurred_at: Timestamp;
  recorded_at: CreatedAt;
  method: 'keyword' | 'api' | 'agent' | 'import' | 'unsubscribe';
  keyword: string | null;
  channel: string | null;
  channel_kind: string | null;
  source: string;
}

/** The current consent state per (tenant, address), written with each ledger event. */
export interface ConsentStateTable {
  tenant: string;
  address: string;
  state: 'opted-out' | 'opted-in';
  changed_at: Timestamp;
  event_id: ColumnType<string, string | number, string | number>;
}

/** An OAuth 2.0 client (client credentials grant) of a tenant; the secret is kept as an scrypt hash. */
export interface OAuthClientTable {
  id: string;
  tenant: string;
  name: string;
  secret_hash: string;
  /** Signs the status callbacks of its notifications (HMAC-SHA256). */
  callback_secret: string;
  scopes: ColumnType<string[], string[], string[]>;
  created_by: string;
  created_at: CreatedAt;
  revoked_by: string | null;
  revoked_at: Timestamp | null;
}

/** A notification category a tenant marked transactional (or explicitly not). */
export interface NotificationCategoryTable {
  tenant: string;
  name: string;
  transactional: boolean;
  updated_by: string;
  updated_at: CreatedAt;
}

/** One agentless notification: what was asked, what was decided, what became of it. */
export interface NotificationTable {
  id: string;
  tenant: string;
  client_id: string;
  idempotency_key: string | null;
  request_hash: string;
  channel: string;
  channel_kind: string;
  recipient: string;
  category: string;
  transactional: boolean;
  status: 'accepted' | 'refused' | 'sent' | 'delivered' | 'read' | 'failed';
  reason: string | null;
  message_id: string;
  conversation_id: string;
  template: string | null;
  text: string | null;
  callback_url: string | null;
  provider_message_id: string | null;
  created_at: CreatedAt;
  status_at: CreatedAt;
  callback_status: string | null;
  callback_attempts: ColumnType<number, number | undefined, number>;
}

export interface Database extends ReportTables, QualityTables {
  customers: CustomerTable;
  identities: IdentityTable;
  conversations: ConversationTable;
  messages: MessageTable;
  agents: AgentTable;
  assignments: AssignmentTable;
  timers: TimerTable;
  outbox: OutboxTable;
  partition_epochs: PartitionEpochTable;
  cluster_settings: ClusterSettingTable;
  contact_lists: ContactListTable;
  contacts: ContactTable;
  dnc_lists: DncListTable;
  dnc_entries: DncEntryTable;
  consent_events: ConsentEventTable;
  consent_states: ConsentStateTable;
  oauth_clients: OAuthClientTable;
  notification_categories: NotificationCategoryTable;
  notifications: NotificationTable;
}

export type CustomerRow = Selectable<CustomerTable>;
export type ConversationRow = Selectable<ConversationTable>;
export type NewConversation = Insertable<ConversationTable>;
export type ConversationUpdate = Updateable<ConversationTable>;
export type MessageRow = Selectable<MessageTable>;
export type NewMessage = Insertable<MessageTable>;
export type AgentRow = Selectable<AgentTable>;
export type AssignmentRow = Selectable<AssignmentTable>;
export type TimerRow = Selectable<TimerTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type NewOutboxRow = Insertable<OutboxTable>;
export type ContactListRow = Selectable<ContactListTable>;
export type ContactRow = Selectable<ContactTable>;
export type DncListRow = Selectable<DncListTable>;
export type DncEntryRow = Selectable<DncEntryTable>;
export type ConsentEventRow = Selectable<ConsentEventTable>;
export type ConsentStateRow = Selectable<ConsentStateTable>;
export type OAuthClientRow = Selectable<OAuthClientTable>;
export type NotificationRow = Selectable<NotificationTable>;
