import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../src/store/index.ts';

/**
 * The reports benchmark's generated history, bulk-loaded with generate_series: the raw
 * rows with the triggers off (conversations, assignments, a campaign's list and attempts,
 * opt-outs, replies), and the facts the triggers would have appended for them, with one
 * INSERT … SELECT that mirrors the triggers. Deterministic: row i is a function of i.
 *
 * Conversation i: queue i % 20, agent i % 500, skills `skill{i % 12}` (and `vip` for every
 * third); 88 % answered after (i·7919) % 240 s, handled 60 + (i·104729) % 1200 s, code
 * i % 8, and 4 in 5 of them followed by 10 + (i·31) % 120 s of after-work; 12 % abandoned.
 */
export interface HistoryShape {
  tenant: string;
  conversations: number;
  start: Date;
  days: number;
  /** Contacts on the benchmark campaign's list (each one attempted). */
  campaignContacts: number;
}

/** The queue skills the folder adds: queue n requires `lang{n % 4}`. */
export const benchQueueSkills = (_tenant: string, queue: string): string[] => (/^queue\d+$/.test(queue) ? [`lang${Number(queue.slice(5)) % 4}`] : []);

const CHUNK = 100_000;

async function loadConversations(db: Kysely<Database>, h: HistoryShape): Promise<void> {
  const customer = randomUUID();
  await db.insertInto('customers').values({ id: customer, tenant: h.tenant, name: null }).execute();
  const time = (i: string) => sql.raw(`'${h.start.toISOString()}'::timestamptz + (${i}::double precision / ${h.conversations}) * interval '${h.days} days'`);
  for (let first = 0; first < h.conversations; first += CHUNK) {
    const last = Math.min(h.conversations, first + CHUNK) - 1;
    await db.transaction().execute(async (tx) => {
      // The raw rows alone: the facts are appended below, in bulk.
      await sql`SET LOCAL session_replication_role = replica`.execute(tx);
      await sql`
        INSERT INTO conversations (id, tenant, channel, customer_id, external_id, state, queue, agent_id, last_message_at, created_at, closed_at, snapshot)
        SELECT md5('c' || i)::uuid, ${h.tenant}, 'web', ${customer}::uuid, 'x' || i, 'closed', 'queue' || (i % 20),
               CASE WHEN i % 100 >= 12 THEN 'agent' || (i % 500) END, t, t, t + interval '20 minutes',
               jsonb_build_object('context', jsonb_build_object('skills', to_jsonb(ARRAY['skill' || (i % 12)] || CASE WHEN i % 3 = 0 THEN ARRAY['vip'] ELSE '{}'::text[] END)))
        FROM generate_series(${first}::bigint, ${last}::bigint) AS i, LATERAL (SELECT ${time('i')} AS t) AS s`.execute(tx);
      await sql`
        INSERT INTO assignments (id, tenant, conversation_id, agent_id, queue, state, offered_at, answered_at, ended_at, reason, wrap_up_code)
        SELECT md5('a' || i)::uuid, ${h.tenant}, md5('c' || i)::uuid, 'agent' || (i % 500), 'queue' || (i % 20), 'ended',
               t + w, t + w, t + w + hd, '{}', 'code' || (i % 8)
        FROM generate_series(${first}::bigint, ${last}::bigint) AS i,
             LATERAL (SELECT ${time('i')} AS t, make_interval(secs => (i * 7919) % 240) AS w, make_interval(secs => 60 + (i * 104729) % 1200) AS hd) AS s
        WHERE i % 100 >= 12`.execute(tx);
      await sql`
        INSERT INTO report_events (tenant, kind, at, queue, agent_id, wrap_up_code, seconds, skills)
        SELECT ${h.tenant}, f.kind, f.at, 'queue' || (c.i % 20), f.agent, f.code, f.seconds, CASE WHEN f.kind NOT LIKE 'offer%' OR f.kind = 'offered' THEN s.skills END
        FROM generate_series(${first}::bigint, ${last}::bigint) AS c(i),
             LATERAL (SELECT ${time('c.i')} AS t, ((c.i * 7919) % 240)::double precision AS w, (60 + (c.i * 104729) % 1200)::double precision AS hd,
                             (10 + (c.i * 31) % 120)::double precision AS aw, c.i % 100 >= 12 AS answered,
                             ARRAY['skill' || (c.i % 12)] || CASE WHEN c.i % 3 = 0 THEN ARRAY['vip'] ELSE '{}'::text[] END AS skills) AS s,
             LATERAL (VALUES
               ('offered', s.t, NULL, NULL, NULL::double precision),
               (CASE WHEN s.answered THEN 'offer' END, s.t + make_interval(secs => s.w), 'agent' || (c.i % 500), NULL, NULL),
               (CASE WHEN s.answered THEN 'answered' ELSE 'abandoned' END, s.t + make_interval(secs => s.w), CASE WHEN s.answered THEN 'agent' || (c.i % 500) END, NULL, s.w),
               (CASE WHEN s.answered THEN 'handled' END, s.t + make_interval(secs => s.w + s.hd), 'agent' || (c.i % 500), 'code' || (c.i % 8), s.hd),
               (CASE WHEN s.answered AND c.i % 5 <> 0 THEN 'afterWork' END, s.t + make_interval(secs => s.w + s.hd + s.aw), 'agent' || (c.i % 500), 'code' || (c.i % 8), s.aw)
             ) AS f(kind, at, agent, code, seconds)
        WHERE f.kind IS NOT NULL`.execute(tx);
    });
  }
}

/**
 * One campaign over `campaignContacts` contacts: 5 % skipped (three reasons), 2 % failed,
 * 1 % waiting, the rest sent (60 % of them delivered); 1 % opt out a minute after their
 * message, 5 % reply within an hour.
 */
async function loadCampaign(db: Kysely<Database>, h: HistoryShape): Promise<void> {
  const n = h.campaignContacts;
  const at = sql.raw(`'${h.start.toISOString()}'::timestamptz + make_interval(secs => i / 10.0)`);
  await sql`INSERT INTO contact_lists (tenant, id, name, head, tail) VALUES (${h.tenant}, 'bench-list', 'bench', 0, ${n})`.execute(db);
  await sql`
    INSERT INTO campaign_runs (tenant, name, state, snapshot, list_id, channel, partition)
    VALUES (${h.tenant}, 'bench-campaign', 'completed',
            ${JSON.stringify({ status: 'done', value: 'completed', context: { tenant: h.tenant, id: 'bench-campaign', name: 'bench-campaign', startedAt: h.start.toISOString(), endedAt: null, specPaused: null } })}, 'bench-list', 'sms', 0)`.execute(db);
  for (let first = 0; first < n; first += CHUNK) {
    const last = Math.min(n, first + CHUNK) - 1;
    await db.transaction().execute(async (tx) => {
      await sql`SET LOCAL session_replication_role = replica`.execute(tx);
      await sql`
        INSERT INTO contacts (tenant, list_id, contact_id, position, phone)
        SELECT ${h.tenant}, 'bench-list', 'k' || i, i, '+1555' || lpad(i::text, 7, '0') FROM generate_series(${first}::bigint, ${last}::bigint) AS i`.execute(tx);
      await sql`
        INSERT INTO campaign_attempts (tenant, campaign, contact_id, list_id, message_id, conversation_id, channel, address, status, reason, epoch, attempted_at, published_at,
                                       opted_out_at, first_reply_at)
        SELECT ${h.tenant}, 'bench-campaign', 'k' || i, 'bench-list', md5('m' || i)::uuid, md5('r' || i)::uuid, 'sms', '+1555' || lpad(i::text, 7, '0'),
               st, CASE WHEN st = 'skipped' THEN (ARRAY['opted-out', 'do-not-contact', 'no-address'])[1 + i % 3] WHEN st = 'failed' THEN 'rejected' END,
               1, ${at}, CASE WHEN st IN ('sent', 'published', 'delivered') THEN ${at} END,
               -- What the consent and inbound-message triggers would record for the rows below.
               CASE WHEN i % 100 = 50 THEN ${at} + interval '1 minute' END,
               CASE WHEN i % 20 = 11 AND st IN ('sent', 'published', 'delivered') THEN ${at} + interval '10 minutes' END
        FROM generate_series(${first}::bigint, ${last}::bigint) AS i,
             LATERAL (SELECT CASE WHEN i % 100 < 5 THEN 'skipped' WHEN i % 100 < 7 THEN 'failed' WHEN i % 100 < 8 THEN 'waiting'
                                  WHEN i % 100 < 30 THEN 'sent' WHEN i % 100 < 40 THEN 'published' ELSE 'delivered' END AS st) AS s`.execute(tx);
      await sql`
        INSERT INTO consent_events (tenant, address, state, occurred_at, method, channel, source)
        SELECT ${h.tenant}, '+1555' || lpad(i::text, 7, '0'), 'opted-out', ${at} + interval '1 minute', 'keyword', 'sms', 'bench'
        FROM generate_series(${first}::bigint, ${last}::bigint) AS i WHERE i % 100 = 50`.execute(tx);
      await sql`
        INSERT INTO customers (id, tenant, name) SELECT md5('p' || i)::uuid, ${h.tenant}, NULL FROM generate_series(${first}::bigint, ${last}::bigint) AS i WHERE i % 20 = 11`.execute(tx);
      await sql`
        INSERT INTO identities (tenant, kind, channel, value, customer_id)
        SELECT ${h.tenant}, 'phone', 'sms', '+1555' || lpad(i::text, 7, '0'), md5('p' || i)::uuid FROM generate_series(${first}::bigint, ${last}::bigint) AS i WHERE i % 20 = 11`.execute(tx);
      await sql`
        INSERT INTO conversations (id, tenant, channel, customer_id, external_id, state, last_message_at, closed_at, snapshot)
        SELECT md5('r' || i)::uuid, ${h.tenant}, 'sms', md5('p' || i)::uuid, 'r' || i, 'closed', ${at}, ${at}, '{}'
        FROM generate_series(${first}::bigint, ${last}::bigint) AS i WHERE i % 20 = 11`.execute(tx);
      await sql`
        INSERT INTO messages (id, tenant, conversation_id, customer_id, channel, direction, text, sent_at)
        SELECT md5('q' || i)::uuid, ${h.tenant}, md5('r' || i)::uuid, md5('p' || i)::uuid, 'sms', 'inbound', 'yes', ${at} + interval '10 minutes'
        FROM generate_series(${first}::bigint, ${last}::bigint) AS i WHERE i % 20 = 11`.execute(tx);
    });
  }
}

export async function loadReportsHistory(db: Kysely<Database>, h: HistoryShape): Promise<void> {
  await loadConversations(db, h);
  await loadCampaign(db, h);
  // The counters the campaign triggers keep (they were off for the bulk load), as the migration fills them.
  await sql`INSERT INTO campaign_counts (tenant, campaign, status, reason, attempts, replied, opted_out, answered)
            SELECT tenant, campaign, status, coalesce(reason, ''), count(*), count(replied_at),
                   count(*) FILTER (WHERE opted_out_at >= coalesce(published_at, attempted_at)),
                   count(*) FILTER (WHERE first_reply_at >= coalesce(published_at, attempted_at))
            FROM campaign_attempts GROUP BY 1, 2, 3, 4`.execute(db);
  await sql`INSERT INTO contact_list_sizes (tenant, list_id, contacts) SELECT tenant, list_id, count(*) FROM contacts GROUP BY 1, 2`.execute(db);
  await sql`ANALYZE`.execute(db);
}
