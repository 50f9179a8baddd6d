import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * A campaign attempt's first reply (`first_reply_at`, migration 2026-12-07T0501), found the
 * way the router stores a sender, and once per statement instead of once per message.
 *
 * - The router links a customer's phone and e-mail with no channel (`identities.channel`
 *   is '' for them: they link the customer across channels). The triggers looked for the
 *   phone or e-mail on the message's channel, which no identity the router writes has: a
 *   reply never marked its attempt. The channel stays the message's and the attempt's.
 * - Inbound messages are inserted many per statement (a transaction's steps write
 *   together): the row trigger ran one UPDATE per message, and each UPDATE ran the
 *   campaign counters' statement trigger, whether any attempt matched or not. One UPDATE
 *   per statement now takes the statement's inbound messages (a transition table).
 *
 * Attempts an upgraded install left unmarked are marked from the messages.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER campaign_attempt_replies ON messages`.execute(db);
  await sql`
    CREATE OR REPLACE FUNCTION campaign_attempt_replies() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      WITH replies AS (
        SELECT m.tenant, m.channel, i.value AS address, m.sent_at
        FROM new_rows m JOIN identities i ON i.customer_id = m.customer_id AND i.tenant = m.tenant AND i.kind IN ('phone', 'email')
        WHERE m.direction = 'inbound'),
      firsts AS (
        SELECT a.tenant, a.campaign, a.contact_id, min(r.sent_at) AS at
        FROM replies r JOIN campaign_attempts a ON a.tenant = r.tenant AND a.address = r.address AND a.channel = r.channel
        WHERE coalesce(a.published_at, a.attempted_at) <= r.sent_at
        GROUP BY 1, 2, 3)
      UPDATE campaign_attempts a SET first_reply_at = f.at
      FROM firsts f
      WHERE a.tenant = f.tenant AND a.campaign = f.campaign AND a.contact_id = f.contact_id
        AND (a.first_reply_at IS NULL OR a.first_reply_at > f.at OR a.first_reply_at < coalesce(a.published_at, a.attempted_at));
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER campaign_attempt_replies AFTER INSERT ON messages REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION campaign_attempt_replies()`.execute(db);
  await sql`
    CREATE OR REPLACE FUNCTION campaign_attempt_first_reply() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      NEW.first_reply_at := (
        SELECT min(m.sent_at) FROM identities i JOIN messages m ON m.customer_id = i.customer_id
        WHERE i.tenant = NEW.tenant AND i.kind IN ('phone', 'email') AND i.value = NEW.address
          AND m.channel = NEW.channel AND m.direction = 'inbound' AND m.sent_at >= coalesce(NEW.published_at, NEW.attempted_at));
      RETURN NEW;
    END $$`.execute(db);
  await sql`
    UPDATE campaign_attempts a SET first_reply_at = r.at
    FROM (
      SELECT s.tenant, s.campaign, s.contact_id, min(m.sent_at) AS at
      FROM campaign_attempts s
      JOIN identities i ON i.tenant = s.tenant AND i.kind IN ('phone', 'email') AND i.value = s.address
      JOIN messages m ON m.customer_id = i.customer_id AND m.channel = s.channel AND m.direction = 'inbound' AND m.sent_at >= coalesce(s.published_at, s.attempted_at)
      GROUP BY 1, 2, 3
    ) AS r
    WHERE a.tenant = r.tenant AND a.campaign = r.campaign AND a.contact_id = r.contact_id
      AND (a.first_reply_at IS NULL OR a.first_reply_at > r.at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER campaign_attempt_replies ON messages`.execute(db);
  await sql`
    CREATE OR REPLACE FUNCTION campaign_attempt_replies() RETURNS trigger
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
  await sql`
    CREATE OR REPLACE FUNCTION campaign_attempt_first_reply() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      NEW.first_reply_at := (
        SELECT min(m.sent_at) FROM identities i JOIN messages m ON m.customer_id = i.customer_id
        WHERE i.tenant = NEW.tenant AND i.kind IN ('phone', 'email') AND i.channel = NEW.channel AND i.value = NEW.address
          AND m.channel = NEW.channel AND m.direction = 'inbound' AND m.sent_at >= coalesce(NEW.published_at, NEW.attempted_at));
      RETURN NEW;
    END $$`.execute(db);
}
