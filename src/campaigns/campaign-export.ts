import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import { csvStream } from '../compliance/index.ts';
import { requireContactList } from '../contacts/index.ts';
import type { Database } from '../store/index.ts';
import { campaignDb } from './tables.ts';

/** The fixed columns of a campaign export; the list's own columns follow them. */
export const CampaignExportColumns = [
  'id',
  'phone',
  'email',
  'time_zone',
  'outcome',
  'reason',
  'attempted_at',
  'provider_answer',
  'final_receipt',
  'final_at',
  'message_id',
  'conversation_id',
  'replied_at',
] as const;

/**
 * A campaign's list as CSV, in list order, with each contact's outcome in that campaign:
 * `sent` (published or accepted), `delivered`, `failed`, `skipped` (with the reason:
 * opted-out, do-not-contact, …), `waiting` (for its window), or empty (not reached yet);
 * and when the contact first replied within the reply window.
 * Streamed page by page: a million-contact list is never in memory.
 */
export function exportCampaignOutcomes(db: Kysely<Database>, tenant: string, campaign: string, listId: string, options: { pageSize?: number } = {}): Readable {
  const pageSize = options.pageSize ?? 5000;
  const cdb = campaignDb(db);
  async function* rows(): AsyncGenerator<unknown[]> {
    const list = await requireContactList(db, tenant, listId);
    yield [...CampaignExportColumns, ...list.columns];
    let after: string | undefined;
    for (;;) {
      let query = cdb
        .selectFrom('contacts as c')
        .leftJoin('campaign_attempts as a', (j) => j.onRef('a.tenant', '=', 'c.tenant').onRef('a.contact_id', '=', 'c.contact_id').on('a.campaign', '=', campaign).on('a.list_id', '=', listId))
        .select(['c.contact_id', 'c.phone', 'c.email', 'c.time_zone', 'c.columns', 'c.position', 'a.status', 'a.reason', 'a.attempted_at', 'a.provider_status', 'a.final_status', 'a.final_at', 'a.message_id', 'a.conversation_id', 'a.replied_at'])
        .where('c.tenant', '=', tenant)
        .where('c.list_id', '=', listId);
      if (after !== undefined) query = query.where('c.position', '>', after);
      const page = await query.orderBy('c.position').limit(pageSize).execute();
      for (const r of page) {
        const outcome = r.status === 'published' || r.status === 'sending' ? 'sent' : r.status;
        yield [
          r.contact_id,
          r.phone,
          r.email,
          r.time_zone,
          outcome,
          r.reason,
          r.attempted_at?.toISOString() ?? null,
          r.provider_status,
          r.final_status,
          r.final_at?.toISOString() ?? null,
          r.message_id,
          r.conversation_id,
          r.replied_at?.toISOString() ?? null,
          ...list.columns.map((name) => r.columns[name] ?? null),
        ];
      }
      if (page.length < pageSize) return;
      after = String(page.at(-1)!.position);
    }
  }
  return csvStream(rows);
}
