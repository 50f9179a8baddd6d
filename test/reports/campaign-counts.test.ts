import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { foldAttemptCounts, readAttemptCounts, readListSize } from '../../src/campaigns/index.ts';
import { useMigratedStore } from '../support/migrated-store.ts';
import { writeCampaignHistory } from '../support/campaign-history.ts';

const ctx = useMigratedStore();

/** The counts straight from the attempt rows: what the counters must always equal. */
async function counted(tenant: string, campaign: string) {
  const { rows } = await sql<{ status: string; reason: string | null; attempts: string; replied: string; opted_out: string; answered: string }>`
    SELECT status, reason, count(*) AS attempts, count(replied_at) AS replied,
           count(*) FILTER (WHERE opted_out_at >= coalesce(published_at, attempted_at)) AS opted_out,
           count(*) FILTER (WHERE first_reply_at >= coalesce(published_at, attempted_at)) AS answered
    FROM campaign_attempts WHERE tenant = ${tenant} AND campaign = ${campaign} GROUP BY 1, 2`.execute(ctx.store.db);
  return rows.map((r) => ({
    status: r.status,
    reason: r.reason,
    attempts: Number(r.attempts),
    replied: Number(r.replied),
    optedOut: Number(r.opted_out),
    answered: Number(r.answered),
  }));
}

const sorted = <T extends { status: string; reason: string | null }>(rows: T[]) => [...rows].sort((a, b) => `${a.status}|${a.reason}`.localeCompare(`${b.status}|${b.reason}`));

describe('campaign counters', () => {
  it('equal the attempt rows before and after folding, through inserts, status moves, replies and deletes', async () => {
    const db = ctx.store.db;
    await writeCampaignHistory(db, { tenant: 'acme', campaign: 'spring', contacts: 300, seed: 9, startedAt: new Date('2026-12-01T09:00:00Z'), replyWindowMs: 3_600_000 });
    const check = async () => {
      expect(sorted(await readAttemptCounts(db, 'acme', 'spring'))).toEqual(sorted(await counted('acme', 'spring')));
      const { rows } = await sql<{ list_id: string; n: string }>`SELECT list_id, count(*) AS n FROM contacts WHERE tenant = 'acme' GROUP BY 1`.execute(db);
      for (const r of rows) expect(await readListSize(db, 'acme', r.list_id)).toBe(Number(r.n));
    };
    await check();
    while ((await foldAttemptCounts(db, 7)) > 0);
    await check();
    // Moves between statuses (one statement, many rows), a reply, and deletions.
    await sql`UPDATE campaign_attempts SET status = 'delivered' WHERE tenant = 'acme' AND campaign = 'spring' AND status IN ('sent', 'published')`.execute(db);
    await sql`UPDATE campaign_attempts SET replied_at = now() WHERE tenant = 'acme' AND campaign = 'spring' AND contact_id IN (SELECT contact_id FROM campaign_attempts WHERE tenant = 'acme' AND campaign = 'spring' AND replied_at IS NULL LIMIT 5)`.execute(db);
    // Opt-outs (one statement for several addresses) and an inbound message: the triggers mark the attempts.
    await sql`INSERT INTO consent_events (tenant, address, state, occurred_at, method, source)
              SELECT tenant, address, 'opted-out', now(), 'import', 'test' FROM campaign_attempts
              WHERE tenant = 'acme' AND campaign = 'spring' AND opted_out_at IS NULL AND address IS NOT NULL LIMIT 7`.execute(db);
    await sql`INSERT INTO messages (id, tenant, conversation_id, customer_id, channel, direction, text, sent_at)
              SELECT gen_random_uuid(), tenant, c.id, c.customer_id, 'sms', 'inbound', 'again', now() FROM conversations c WHERE tenant = 'acme' LIMIT 3`.execute(db);
    await check();
    await sql`DELETE FROM campaign_attempts WHERE tenant = 'acme' AND campaign = 'spring' AND status = 'failed'`.execute(db);
    await sql`DELETE FROM contacts WHERE tenant = 'acme' AND contact_id IN (SELECT contact_id FROM contacts WHERE tenant = 'acme' LIMIT 10)`.execute(db);
    await check();
    await foldAttemptCounts(db, 3);
    await check();
    while ((await foldAttemptCounts(db)) > 0);
    await check();
    expect((await sql<{ n: string }>`SELECT count(*) AS n FROM campaign_count_deltas`.execute(db)).rows[0]!.n).toBe('0');
  });
});
