import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * A campaign's opt-outs and replies recorded on its attempts when they happen, so the
 * campaign counters (migration 2026-12-07T0102) count them like the statuses and the
 * report no longer joins its sent attempts to the consent ledger and the messages.
 *
 * - `opted_out_at`: the latest opt-out recorded for the attempt's address (any method), set
 *   by a statement trigger on `consent_events`. The attempt counts as opted out when that is
 *   at or after its message, which is the report's "an opt-out after the message": the
 *   latest opt-out is after the message exactly when some opt-out is.
 * - `first_reply_at`: the first inbound message on the attempt's channel from its address at
 *   or after its message, set by a row trigger on inbound `messages` (one UPDATE through
 *   `identities_customer` and `campaign_attempts_recipient`), whatever the attempt's
 *   status: a reply may arrive before the runner has moved the row on from `sending`. A
 *   later publish time on the row re-reads a mark older than it. A reply is inside a reply window
 *   exactly when the first message after the message is; the window lives in the
 *   configuration, so the reader takes the attempts whose first reply came later off the
 *   counted ones, through `campaign_attempts_reply_delay` (only late replies are visited).
 *
 * The counters gain `opted_out` and `answered` (first reply at or after the message).
 * Existing rows are filled from the ledger and the messages as the report's join read them;
 * the counter triggers turn that fill into deltas like any other change.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('campaign_attempts').addColumn('opted_out_at', 'timestamptz').addColumn('first_reply_at', 'timestamptz').execute();
  // An opt-out is per tenant and address, whatever the channel.
  await db.schema.createIndex('campaign_attempts_recipient').on('campaign_attempts').columns(['tenant', 'address']).execute();
  await sql`CREATE INDEX campaign_attempts_reply_delay ON campaign_attempts (tenant, campaign, (first_reply_at - coalesce(published_at, attempted_at)))
            WHERE first_reply_at IS NOT NULL`.execute(db);
  for (const table of ['campaign_counts', 'campaign_count_deltas']) {
    await db.schema
      .alterTable(table)
      .addColumn('opted_out', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('answered', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
  }

  await sql`
    CREATE OR REPLACE FUNCTION campaign_count_changes() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO campaign_count_deltas (tenant, campaign, status, reason, attempts, replied, opted_out, answered)
        SELECT tenant, campaign, status, coalesce(reason, ''), count(*), count(replied_at),
               count(*) FILTER (WHERE opted_out_at >= coalesce(published_at, attempted_at)),
               count(*) FILTER (WHERE first_reply_at >= coalesce(published_at, attempted_at))
        FROM new_rows GROUP BY 1, 2, 3, 4;
      ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO campaign_count_deltas (tenant, campaign, status, reason, attempts, replied, opted_out, answered)
        SELECT tenant, campaign, status, reason, sum(n), sum(r), sum(o), sum(a) FROM (
          SELECT tenant, campaign, status, coalesce(reason, '') AS reason, 1 AS n, (replied_at IS NOT NULL)::int AS r,
                 coalesce(opted_out_at >= coalesce(published_at, attempted_at), false)::int AS o,
                 coalesce(first_reply_at >= coalesce(published_at, attempted_at), false)::int AS a
          FROM new_rows
          UNION ALL
          SELECT tenant, campaign, status, coalesce(reason, ''), -1, -(replied_at IS NOT NULL)::int,
                 -coalesce(opted_out_at >= coalesce(published_at, attempted_at), false)::int,
                 -coalesce(first_reply_at >= coalesce(published_at, attempted_at), false)::int
          FROM old_rows
        ) AS c GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0 OR sum(r) <> 0 OR sum(o) <> 0 OR sum(a) <> 0;
      ELSE
        INSERT INTO campaign_count_deltas (tenant, campaign, status, reason, attempts, replied, opted_out, answered)
        SELECT tenant, campaign, status, coalesce(reason, ''), -count(*), -count(replied_at),
               -count(*) FILTER (WHERE opted_out_at >= coalesce(published_at, attempted_at)),
               -count(*) FILTER (WHERE first_reply_at >= coalesce(published_at, attempted_at))
        FROM old_rows GROUP BY 1, 2, 3, 4;
      END IF;
      RETURN NULL;
    END $$`.execute(db);

  // Opt-outs: a statement trigger, so an import of many opt-outs is one join.
  await sql`
    CREATE FUNCTION campaign_attempt_opt_outs() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE campaign_attempts a SET opted_out_at = e.at
      FROM (SELECT tenant, address, max(occurred_at) AS at FROM new_rows WHERE state = 'opted-out' GROUP BY 1, 2) AS e
      WHERE a.tenant = e.tenant AND a.address = e.address AND (a.opted_out_at IS NULL OR a.opted_out_at < e.at);
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER campaign_attempt_opt_outs AFTER INSERT ON consent_events REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION campaign_attempt_opt_outs()`.execute(db);

  // Replies: the customer's addresses on the message's channel, then their sent attempts on it.
  await sql`
    CREATE FUNCTION campaign_attempt_replies() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE campaign_attempts a SET first_reply_at = NEW.sent_at
      FROM identities i
      WHERE i.customer_id = NEW.customer_id AND i.tenant = NEW.tenant AND i.kind IN ('phone', 'email') AND i.channel = NEW.channel
        AND a.tenant = NEW.tenant AND a.channel = NEW.channel AND a.address = i.value
        AND coalesce(a.published_at, a.attempted_at) <= NEW.sent_at
        AND (a.first_reply_at IS NULL OR a.first_reply_at > NEW.sent_at OR a.first_reply_at < coalesce(a.published_at, a.attempted_at));
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER campaign_attempt_replies AFTER INSERT ON messages
            FOR EACH ROW WHEN (NEW.direction = 'inbound') EXECUTE FUNCTION campaign_attempt_replies()`.execute(db);

  // A message may arrive while the row still says `sending` (published, not yet moved on): it
  // is marked against the attempt time. When the row then gets a later publish time, a mark
  // before it is looked up again from the messages (`messages_customer`): rare, and only
  // those rows call the function.
  await sql`
    CREATE FUNCTION campaign_attempt_first_reply() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      NEW.first_reply_at := (
        SELECT min(m.sent_at) FROM identities i JOIN messages m ON m.customer_id = i.customer_id
        WHERE i.tenant = NEW.tenant AND i.kind IN ('phone', 'email') AND i.channel = NEW.channel AND i.value = NEW.address
          AND m.channel = NEW.channel AND m.direction = 'inbound' AND m.sent_at >= coalesce(NEW.published_at, NEW.attempted_at));
      RETURN NEW;
    END $$`.execute(db);
  await sql`CREATE TRIGGER campaign_attempt_first_reply BEFORE UPDATE ON campaign_attempts
            FOR EACH ROW WHEN (NEW.first_reply_at < coalesce(NEW.published_at, NEW.attempted_at)) EXECUTE FUNCTION campaign_attempt_first_reply()`.execute(db);

  // What an upgraded install already has, as the report's join read it.
  await sql`
    UPDATE campaign_attempts a SET opted_out_at = e.at
    FROM (SELECT tenant, address, max(occurred_at) AS at FROM consent_events WHERE state = 'opted-out' GROUP BY 1, 2) AS e
    WHERE a.tenant = e.tenant AND a.address = e.address`.execute(db);
  await sql`
    UPDATE campaign_attempts a SET first_reply_at = r.at
    FROM (
      SELECT s.tenant, s.campaign, s.contact_id, min(m.sent_at) AS at
      FROM campaign_attempts s
      JOIN identities i ON i.tenant = s.tenant AND i.kind IN ('phone', 'email') AND i.channel = s.channel AND i.value = s.address
      JOIN messages m ON m.customer_id = i.customer_id AND m.channel = s.channel AND m.direction = 'inbound' AND m.sent_at >= coalesce(s.published_at, s.attempted_at)
      GROUP BY 1, 2, 3
    ) AS r
    WHERE a.tenant = r.tenant AND a.campaign = r.campaign AND a.contact_id = r.contact_id`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER campaign_attempt_first_reply ON campaign_attempts`.execute(db);
  await sql`DROP FUNCTION campaign_attempt_first_reply()`.execute(db);
  await sql`DROP TRIGGER campaign_attempt_replies ON messages`.execute(db);
  await sql`DROP FUNCTION campaign_attempt_replies()`.execute(db);
  await sql`DROP TRIGGER campaign_attempt_opt_outs ON consent_events`.execute(db);
  await sql`DROP FUNCTION campaign_attempt_opt_outs()`.execute(db);
  await sql`
    CREATE OR REPLACE FUNCTION campaign_count_changes() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO campaign_count_deltas (tenant, campaign, status, reason, attempts, replied)
        SELECT tenant, campaign, status, coalesce(reason, ''), count(*), count(replied_at) FROM new_rows GROUP BY 1, 2, 3, 4;
      ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO campaign_count_deltas (tenant, campaign, status, reason, attempts, replied)
        SELECT tenant, campaign, status, reason, sum(n), sum(r) FROM (
          SELECT tenant, campaign, status, coalesce(reason, '') AS reason, 1 AS n, (replied_at IS NOT NULL)::int AS r FROM new_rows
          UNION ALL
          SELECT tenant, campaign, status, coalesce(reason, ''), -1, -(replied_at IS NOT NULL)::int FROM old_rows
        ) AS c GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0 OR sum(r) <> 0;
      ELSE
        INSERT INTO campaign_count_deltas (tenant, campaign, status, reason, attempts, replied)
        SELECT tenant, campaign, status, coalesce(reason, ''), -count(*), -count(replied_at) FROM old_rows GROUP BY 1, 2, 3, 4;
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  for (const table of ['campaign_count_deltas', 'campaign_counts']) await db.schema.alterTable(table).dropColumn('opted_out').dropColumn('answered').execute();
  await db.schema.dropIndex('campaign_attempts_reply_delay').execute();
  await db.schema.dropIndex('campaign_attempts_recipient').execute();
  await db.schema.alterTable('campaign_attempts').dropColumn('opted_out_at').dropColumn('first_reply_at').execute();
}
