import { sql, type Kysely, type Transaction } from 'kysely';
import type { ConsentEventRow, Database } from '../store/index.ts';
import { requireAddress } from './address.ts';

type Db = Kysely<Database> | Transaction<Database>;

export type ConsentState = 'opted-out' | 'opted-in';
export type ConsentMethod = 'keyword' | 'api' | 'agent' | 'import' | 'unsubscribe';

export interface ConsentChange {
  tenant: string;
  /** A phone (normalized to E.164 with `defaultCountry`) or an e-mail address. */
  address: string;
  defaultCountry?: string | null;
  /** How the customer asked: an inbound keyword, the API, an agent on their behalf, an import, an e-mail's one-click unsubscribe. */
  method: ConsentMethod;
  /** The keyword as received, for `method: 'keyword'`. */
  keyword?: string | null;
  /** The Channel it came through, and its kind (`sms`, `whatsapp`…). */
  channel?: string | null;
  channelKind?: string | null;
  /** Who or what recorded it, for audits: a conversation id, an API client, a user, a file. */
  source: string;
  /** When the customer asked. @default now */
  occurredAt?: Date;
}

/**
 * Appends one event to the consent ledger and moves the address's current state, in one
 * statement (so the two never disagree, whatever transaction the caller has or has not
 * opened). An event older than the current state (a late import) is kept in the ledger
 * but does not override the newer state.
 */
export async function recordConsent(db: Db, state: ConsentState, change: ConsentChange): Promise<ConsentEventRow> {
  const address = requireAddress(change.address, change.defaultCountry);
  const occurredAt = change.occurredAt ?? new Date();
  const result = await sql<ConsentEventRow>`
    WITH event AS (
      INSERT INTO consent_events (tenant, address, state, occurred_at, method, keyword, channel, channel_kind, source)
      VALUES (${change.tenant}, ${address}, ${state}, ${occurredAt}, ${change.method}, ${change.keyword ?? null},
              ${change.channel ?? null}, ${change.channelKind ?? null}, ${change.source})
      RETURNING *
    ), current AS (
      INSERT INTO consent_states (tenant, address, state, changed_at, event_id)
      SELECT tenant, address, state, occurred_at, id FROM event
      ON CONFLICT (tenant, address) DO UPDATE
        SET state = excluded.state, changed_at = excluded.changed_at, event_id = excluded.event_id
        WHERE consent_states.changed_at <= excluded.changed_at
    )
    SELECT * FROM event`.execute(db);
  return result.rows[0]!;
}

/** Records that the address opted out (keyword STOP, the API, an agent…). */
export function recordOptOut(db: Db, change: ConsentChange): Promise<ConsentEventRow> {
  return recordConsent(db, 'opted-out', change);
}

/** Records that the address opted back in (START, the API…). */
export function recordOptIn(db: Db, change: ConsentChange): Promise<ConsentEventRow> {
  return recordConsent(db, 'opted-in', change);
}

/** The address's current state; `unknown` when it never opted in or out. */
export async function consentState(db: Db, tenant: string, address: string, defaultCountry?: string | null): Promise<ConsentState | 'unknown'> {
  const row = await db
    .selectFrom('consent_states')
    .select('state')
    .where('tenant', '=', tenant)
    .where('address', '=', requireAddress(address, defaultCountry))
    .executeTakeFirst();
  return row?.state ?? 'unknown';
}

/** The ledger of one address, oldest first: what an audit of one customer asks for. */
export function consentHistory(db: Db, tenant: string, address: string, defaultCountry?: string | null): Promise<ConsentEventRow[]> {
  return db
    .selectFrom('consent_events')
    .selectAll()
    .where('tenant', '=', tenant)
    .where('address', '=', requireAddress(address, defaultCountry))
    .orderBy('id')
    .execute();
}
