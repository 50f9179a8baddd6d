import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { seeded } from '../../bench/random.ts';
import { foldAttemptCounts } from '../../src/campaigns/index.ts';
import { campaignReport, CampaignReportQuery, DEFAULT_REPLY_WINDOW_MS } from '../../src/reports/index.ts';
import type { Database } from '../../src/store/index.ts';
import * as attemptResponses from '../../src/store/migrations/2026-12-07T0501-camp-attempt-responses.ts';
import * as repliesPerStatement from '../../src/store/migrations/2026-12-09T0102-campaign-replies-per-statement.ts';
import { useMigratedStore } from '../support/migrated-store.ts';

const ctx = useMigratedStore();

const HOUR = 3_600_000;
const base = new Date('2026-12-01T09:00:00Z').getTime();

/** Three campaigns: two on SMS (the default 72 h window and 1 h), one on WhatsApp (2 h). */
const campaigns = [
  { name: 'spring', channel: 'sms', windowMs: undefined },
  { name: 'flash', channel: 'sms', windowMs: HOUR },
  { name: 'chat', channel: 'whatsapp', windowMs: 2 * HOUR },
] as const;
const windowOf = (name: string) => campaigns.find((c) => c.name === name)?.windowMs;

/**
 * The report's former query, kept as the independent reference: opt-outs and replies joined
 * from the consent ledger and the messages over the campaign's sent attempts at read time.
 */
async function joined(db: Kysely<Database>, tenant: string, campaign: (typeof campaigns)[number]) {
  const windowMs = campaign.windowMs ?? DEFAULT_REPLY_WINDOW_MS;
  const { rows } = await sql<{ opt_outs: string; replies: string }>`
    WITH sent AS MATERIALIZED (
      SELECT address, coalesce(published_at, attempted_at) AS at
      FROM campaign_attempts
      WHERE tenant = ${tenant} AND campaign = ${campaign.name} AND status IN ('published', 'sent', 'delivered') AND address IS NOT NULL
    )
    SELECT
      (SELECT count(*) FROM sent s WHERE EXISTS (
         SELECT 1 FROM consent_events e
         WHERE e.tenant = ${tenant} AND e.address = s.address AND e.state = 'opted-out' AND e.occurred_at >= s.at)) AS opt_outs,
      (SELECT count(*) FROM sent s WHERE EXISTS (
         SELECT 1 FROM identities i JOIN messages m ON m.customer_id = i.customer_id
         WHERE i.tenant = ${tenant} AND i.kind IN ('phone', 'email') AND i.value = s.address
           AND m.channel = ${campaign.channel} AND m.direction = 'inbound'
           AND m.sent_at >= s.at AND m.sent_at < s.at + make_interval(secs => ${windowMs / 1000}))) AS replies`.execute(db);
  return { optOuts: Number(rows[0]!.opt_outs), replies: Number(rows[0]!.replies) };
}

type Event = { at: number; write: (db: Kysely<Database>) => Promise<unknown> };

/**
 * A history written in time order, as the runner, the receipts, the consent ledger and the
 * router write it, so every trigger sees its rows arrive: 60 recipients shared by the three
 * campaigns (the same recipient reached twice), attempts written as `sending` and then
 * moved on (with messages before the publish and between it and the row's update),
 * opt-outs before and after the messages (and opt-ins), inbound messages inside
 * and after the windows, on the other channel, outbound messages, and another tenant with
 * the same addresses.
 */
async function writeHistory(db: Kysely<Database>, seed: number): Promise<void> {
  const rng = seeded(seed);
  const events: Event[] = [];
  const recipients = Array.from({ length: 60 }, (_, i) => ({ address: `+33612${String(i).padStart(6, '0')}`, customers: new Map<string, string>() }));
  for (const tenant of ['acme', 'globex']) {
    for (const r of recipients) {
      const customer = randomUUID();
      r.customers.set(tenant, customer);
      await sql`INSERT INTO customers (id, tenant) VALUES (${customer}, ${tenant})`.execute(db);
      // As the router links a sender (`identitiesOf`): the phone with no channel, the customer's on every channel.
      await sql`INSERT INTO identities (tenant, kind, channel, value, customer_id) VALUES (${tenant}, 'phone', '', ${r.address}, ${customer})`.execute(db);
      for (const channel of ['sms', 'whatsapp']) {
        await sql`INSERT INTO conversations (id, tenant, channel, customer_id, external_id, state, last_message_at, snapshot)
                  VALUES (${randomUUID()}, ${tenant}, ${channel}, ${customer}, ${r.address}, 'open', now(), '{}')`.execute(db);
      }
    }
  }
  for (const tenant of ['acme', 'globex']) {
    for (const c of campaigns) {
      await sql`INSERT INTO campaign_runs (tenant, name, state, snapshot, list_id, channel, partition)
                VALUES (${tenant}, ${c.name}, 'completed', ${JSON.stringify({ context: { startedAt: null, endedAt: null } })}, ${`${c.name}-list`}, ${c.channel}, 0)`.execute(db);
      for (const [i, r] of recipients.entries()) {
        if (rng.next() < 0.15) continue; // not reached
        const at = base + rng.int(0, 5 * 24) * HOUR + rng.int(0, 59) * 60_000;
        const roll = rng.next();
        const final = roll < 0.1 ? 'skipped' : roll < 0.15 ? 'failed' : roll < 0.2 ? 'waiting' : roll < 0.4 ? 'published' : roll < 0.6 ? 'sent' : 'delivered';
        const row = { tenant, campaign: c.name, contact: `c${i}`, list: `${c.name}-list`, channel: c.channel, address: r.address };
        if (final === 'skipped' || final === 'waiting') {
          events.push({ at, write: (d) => insertAttempt(d, row, final, new Date(at), null) });
          continue;
        }
        events.push({ at, write: (d) => insertAttempt(d, row, 'sending', new Date(at), null) });
        // Published at +1 s, its row moved on at +2 s: a message in between is a reply, one before it is not.
        const publishedAt = new Date(at + 1000);
        const customer = r.customers.get(tenant)!;
        if (rng.next() < 0.2) events.push({ at: at + 500, write: (d) => inbound(d, tenant, customer, c.channel, 'inbound', at + 500) });
        if (rng.next() < 0.2) events.push({ at: at + 1500, write: (d) => inbound(d, tenant, customer, c.channel, 'inbound', at + 1500) });
        events.push({
          at: at + 2000,
          write: (d) =>
            sql`UPDATE campaign_attempts SET status = ${final}, published_at = ${final === 'failed' ? null : publishedAt}
                WHERE tenant = ${tenant} AND campaign = ${c.name} AND contact_id = ${row.contact}`.execute(d),
        });
      }
    }
    for (const r of recipients) {
      // Opt-outs and opt-ins anywhere in the ten days: before, between and after the messages.
      for (let k = rng.int(0, 2); k > 0; k--) {
        const at = base + rng.int(-24, 10 * 24) * HOUR;
        const state = rng.next() < 0.8 ? 'opted-out' : 'opted-in';
        events.push({
          at,
          write: (d) =>
            sql`INSERT INTO consent_events (tenant, address, state, occurred_at, method, channel, source)
                VALUES (${tenant}, ${r.address}, ${state}, ${new Date(at)}, ${rng.pick(['keyword', 'api', 'agent'])}, 'sms', 'test')`.execute(d),
        });
      }
      // Messages on either channel, in and out, spread so some fall inside a window and some after.
      for (let k = rng.int(0, 4); k > 0; k--) {
        const at = base + rng.int(-24, 10 * 24) * HOUR + rng.int(0, 3599) * 1000;
        const channel = rng.pick(['sms', 'whatsapp']);
        const direction = rng.next() < 0.85 ? 'inbound' : 'outbound';
        const customer = r.customers.get(tenant)!;
        events.push({ at, write: (d) => inbound(d, tenant, customer, channel, direction, at) });
      }
    }
  }
  events.sort((a, b) => a.at - b.at);
  for (const e of events) await e.write(db);
}

function inbound(db: Kysely<Database>, tenant: string, customer: string, channel: string, direction: string, at: number) {
  return sql`INSERT INTO messages (id, tenant, conversation_id, customer_id, channel, direction, text, sent_at)
             SELECT ${randomUUID()}, ${tenant}, id, customer_id, channel, ${direction}, 'hi', ${new Date(at)}
             FROM conversations WHERE tenant = ${tenant} AND customer_id = ${customer} AND channel = ${channel}`.execute(db);
}

function insertAttempt(
  db: Kysely<Database>,
  r: { tenant: string; campaign: string; contact: string; list: string; channel: string; address: string },
  status: string,
  at: Date,
  publishedAt: Date | null,
) {
  return sql`INSERT INTO campaign_attempts (tenant, campaign, contact_id, list_id, message_id, conversation_id, channel, address, status, reason, epoch, attempted_at, published_at)
             VALUES (${r.tenant}, ${r.campaign}, ${r.contact}, ${r.list}, ${randomUUID()}, ${randomUUID()}, ${r.channel}, ${r.address}, ${status},
                     ${status === 'skipped' ? 'opted-out' : null}, 1, ${at}, ${publishedAt})`.execute(db);
}

async function expectSameAsJoin(db: Kysely<Database>): Promise<number> {
  let seen = 0;
  for (const tenant of ['acme', 'globex']) {
    const rows = await campaignReport(db, tenant, CampaignReportQuery.parse({}), windowOf);
    for (const c of campaigns) {
      const row = rows.find((r) => r.campaign === c.name)!;
      const reference = await joined(db, tenant, c);
      expect({ campaign: c.name, tenant, optOuts: row.optOuts, replies: row.replies }).toEqual({ campaign: c.name, tenant, ...reference });
      seen += reference.optOuts + reference.replies;
    }
  }
  return seen;
}

describe('campaign opt-outs and replies from the counters', () => {
  it('equal the former join over the sent attempts, as the events arrive, after folding, and after an upgrade', async () => {
    const db = ctx.store.db;
    await writeHistory(db, 21);
    // Some of each edge case exists in the history, or the comparison would prove little.
    const { rows } = await sql<{ before: string; late: string; other: string }>`
      SELECT
        (SELECT count(*) FROM campaign_attempts a JOIN consent_events e USING (tenant, address)
          WHERE e.state = 'opted-out' AND e.occurred_at < a.published_at) AS before,
        (SELECT count(*) FROM campaign_attempts WHERE first_reply_at - published_at >= interval '72 hours') AS late,
        (SELECT count(*) FROM campaign_attempts a JOIN identities i ON i.tenant = a.tenant AND i.value = a.address
           JOIN messages m ON m.customer_id = i.customer_id AND m.channel <> a.channel AND m.direction = 'inbound' AND m.sent_at > a.published_at) AS other`.execute(db);
    expect(Number(rows[0]!.before) * Number(rows[0]!.late) * Number(rows[0]!.other)).toBeGreaterThan(0);

    expect(await expectSameAsJoin(db)).toBeGreaterThan(20);
    while ((await foldAttemptCounts(db, 13)) > 0);
    await expectSameAsJoin(db);

    // An upgraded install: the columns and counters dropped, then the migrations fill them from the rows.
    await repliesPerStatement.down(db);
    await attemptResponses.down(db);
    await attemptResponses.up(db);
    await repliesPerStatement.up(db);
    await expectSameAsJoin(db);
    while ((await foldAttemptCounts(db)) > 0);
    await expectSameAsJoin(db);
  }, 120_000);
});
