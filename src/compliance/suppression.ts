import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../store/index.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** Why an address must not be sent to. */
export type Suppression = { reason: 'opted-out'; since: Date } | { reason: 'do-not-contact'; listId: string };

export interface SuppressionOptions {
  /**
   * Only these do-not-contact lists (a campaign's `doNotContact`). An opt-out in the
   * consent ledger applies whatever lists are named.
   * @default every list of the tenant
   */
  lists?: readonly string[];
}

/**
 * Whether a send to `address` over a channel of `channelKind` must not happen, and why: an
 * opt-out in the consent ledger (any channel: it covers the whole tenant), or an entry on
 * a do-not-contact list for that kind or for all kinds. Meant for send time: one indexed
 * query. `address` must be normalized already (E.164 or lower-cased e-mail, see
 * `normalizeAddress`), as everything stored is.
 */
export async function isSuppressed(db: Db, tenant: string, address: string, channelKind: string, options: SuppressionOptions = {}): Promise<Suppression | null> {
  const found = await suppressionsAmong(db, tenant, [address], channelKind, options);
  return found.get(address) ?? null;
}

/**
 * `isSuppressed` for many addresses in one query (a campaign's next batch). The map holds
 * only the suppressed addresses.
 */
export async function suppressionsAmong(
  db: Db,
  tenant: string,
  addresses: readonly string[],
  channelKind: string,
  options: SuppressionOptions = {},
): Promise<Map<string, Suppression>> {
  const found = new Map<string, Suppression>();
  if (addresses.length === 0) return found;
  const wanted = [...new Set(addresses)];
  const lists = options.lists ? [...options.lists] : null;
  // Opt-outs first in the union so that an address both opted out and listed reports the opt-out.
  const { rows } = await sql<{ address: string; reason: 'opted-out' | 'do-not-contact'; list_id: string | null; since: Date | null }>`
    SELECT s.address, 'opted-out' AS reason, NULL AS list_id, s.changed_at AS since, 0 AS rank
      FROM consent_states s
     WHERE s.tenant = ${tenant} AND s.address = ANY(${wanted}::text[]) AND s.state = 'opted-out'
    UNION ALL
    SELECT e.address, 'do-not-contact', e.list_id, NULL, 1
      FROM dnc_entries e JOIN dnc_lists l ON l.tenant = e.tenant AND l.id = e.list_id
     WHERE e.tenant = ${tenant} AND e.address = ANY(${wanted}::text[])
       AND (l.channel_kind IS NULL OR l.channel_kind = ${channelKind})
       AND (${lists}::text[] IS NULL OR e.list_id = ANY(${lists}::text[]))
    ORDER BY rank, list_id`.execute(db);
  for (const row of rows) {
    if (found.has(row.address)) continue;
    found.set(row.address, row.reason === 'opted-out' ? { reason: 'opted-out', since: new Date(row.since!) } : { reason: 'do-not-contact', listId: row.list_id! });
  }
  return found;
}
