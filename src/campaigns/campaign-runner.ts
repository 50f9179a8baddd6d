import { randomUUID } from 'node:crypto';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { sql, type Kysely } from 'kysely';
import { suppressionsAmong } from '../compliance/index.ts';
import { ParleyError, subjects, type OutboundMessage } from '../contract/index.ts';
import type { Logger } from '../observability/index.ts';
import type { Fence, StepResults } from '../runtime/index.ts';
import type { Database } from '../store/index.ts';
import { markPublished, writeAttempts, type PlannedAttempt } from './attempts.ts';
import type { CampaignHost } from './campaign-host.ts';
import { campaignIn, stepCampaign } from './campaign-kind.ts';
import { campaignPartition } from './campaign-runs.ts';
import type { TemplateContact } from './message-template.ts';
import { Pacer } from './pacer.ts';
import { CampaignChannelKinds, type PreparedCampaign } from './prepared-campaign.ts';
import { recipientZones } from './recipient-zone.ts';
import { nextOpening, untilDue } from './sending-window.ts';
import { campaignDb, type CampaignDatabase, type CampaignState } from './tables.ts';

export interface CampaignRunnerOptions {
  nc: NatsConnection;
  db: Kysely<Database>;
  /** The partition runtime of this process: the runner runs while it owns the campaign's partition. */
  host: CampaignHost;
  /** The campaign checked against its list and channel; asked again each batch, so spec changes apply. */
  prepared: () => PreparedCampaign | undefined;
  /** The pause between checks while waiting for a window or for its attempts to be published, and the pacing burst. @default 200 */
  tickMs?: number;
  /**
   * The longest a run with nothing to do waits before it looks again: paused (it is woken
   * by `stateChanged()`, its actor committing another state here), or every contact left
   * waiting for its window (it wakes when the earliest opens). @default 5000
   */
  idleCheckMs?: number;
  /** Contacts decided in one transaction at most (a paced campaign's batches are its pacing's second of messages at most). @default 1000 */
  maxBatch?: number;
  /**
   * Batches whose messages may be awaiting JetStream's acknowledgement at once, while
   * the next batch is decided: the database and the bus work side by side. @default 2
   */
  maxInFlight?: number;
  /** The clock quiet hours are judged by (a fake one in tests). @default the system clock */
  now?: () => Date;
  /** E-mail: the RFC 8058 one-click unsubscribe URL of a recipient (`unsubscribeLinks`). @default none: no List-Unsubscribe header */
  unsubscribeUrl?: ((recipient: { tenant: string; address: string; campaign: string }) => string | undefined) | undefined;
  logger?: Logger | undefined;
}

/** How a run ended: the campaign is over, or this process no longer owns its partition (its new owner runs it), or it is shutting down. */
export type RunEnd = 'completed' | 'stopped' | 'partition-lost' | 'shut-down';

interface Candidate {
  contactId: string;
  phone: string | null;
  email: string | null;
  timeZone: string | null;
  columns: Record<string, string>;
  position: string;
  /** A waiting (or recovered) attempt keeps its message and conversation ids. */
  attempt?: { messageId: string; conversationId: string };
}

type BatchResult =
  | { kind: 'sent'; messages: OutboundMessage[] }
  | { kind: 'idle'; state: CampaignState }
  /** Nothing to decide now: attempts wait for their windows (the earliest opens at `dueAt`), or are being published (`sending`). */
  | { kind: 'wait'; dueAt: Date | undefined; sending: boolean }
  | { kind: 'done' };

/**
 * Runs one campaign on the owner of its partition, batch by batch: each batch is work of
 * that partition, in a transaction fenced by its epoch like every actor step. It reads
 * the campaign's actor (sends only while it is `running`), decides each next contact
 * (suppressed → skipped; outside its window → waiting; else an attempt written
 * `sending`), commits the attempts, then publishes their messages to PARLEY_OUTBOUND
 * with `Nats-Msg-Id` = the attempt's message id. When the list is exhausted, the same
 * transaction steps the actor to `completed`.
 */
export class CampaignRunner {
  private readonly js: JetStreamClient;
  private readonly tickMs: number;
  private readonly idleCheckMs: number;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly now: () => Date;
  private readonly partition: number;
  private readonly host: CampaignHost;
  /** Messages acknowledged by JetStream whose attempts are not yet marked `published` (the next batch does it). */
  private acked: string[] = [];
  private shuttingDown = false;
  private wake: (() => void) | undefined;
  /** Its actor changed state since the current batch began (that batch may have read the state before). */
  private stateMoved = false;

  constructor(
    readonly tenant: string,
    readonly name: string,
    private readonly options: CampaignRunnerOptions,
  ) {
    this.js = jetstream(options.nc);
    this.host = options.host;
    this.partition = campaignPartition(tenant, name, options.host.partitions);
    this.tickMs = options.tickMs ?? 200;
    this.idleCheckMs = options.idleCheckMs ?? 5_000;
    this.maxBatch = options.maxBatch ?? 1_000;
    this.maxInFlight = options.maxInFlight ?? 2;
    this.now = options.now ?? (() => new Date());
  }

  /** Its actor committed another state in this process: a run waiting while paused looks again now. */
  stateChanged(): void {
    this.stateMoved = true;
    this.wake?.();
  }

  /** Asks the run to end after its current batch; `run()` then resolves with `shut-down`. */
  shutDown(): void {
    this.shuttingDown = true;
    this.wake?.();
  }

  /** Sends until the campaign completes or stops, this process loses the campaign's partition, or `shutDown()`. */
  async run(): Promise<RunEnd> {
    const { tenant, name } = this;
    try {
      await this.recover();
      let pacer: Pacer | undefined;
      let rate = 0;
      const inFlight = new Set<Promise<void>>();
      let failed: Error | undefined;
      const settle = async () => {
        await Promise.all(inFlight);
        if (failed !== undefined) throw failed;
      };
      try {
        for (;;) {
          if (!this.host.owns(this.partition)) return 'partition-lost';
          if (this.shuttingDown) return 'shut-down';
          if (failed !== undefined) throw failed;
          const prepared = this.options.prepared();
          if (!prepared) {
            await this.sleep(this.tickMs);
            continue;
          }
          if (!pacer || rate !== prepared.messagesPerMinute) {
            rate = prepared.messagesPerMinute;
            pacer = new Pacer(rate);
          }
          const allowed = Math.min(pacer.available(), this.maxBatch);
          if (allowed < 1) {
            await this.sleep(Math.min(pacer.waitMs(), this.tickMs));
            continue;
          }
          this.stateMoved = false;
          const result = await this.batch(prepared, allowed);
          if (result.kind !== 'sent') await settle();
          if (result.kind === 'done') return 'completed';
          if (result.kind === 'idle') {
            if (result.state === 'stopped' || result.state === 'completed') return result.state;
            // Paused: only a command (stepping its actor here, which wakes the run) changes that.
            if (!this.stateMoved) await this.sleep(this.idleCheckMs);
            continue;
          }
          if (result.kind === 'wait') {
            // Acknowledged messages are marked by the next batch; without any, sleep: until
            // the earliest window opens (a list may grow meanwhile: `idleCheckMs` at most).
            if (this.acked.length === 0) await this.sleep(result.sending ? this.tickMs : untilDue(result.dueAt, this.now(), this.tickMs, this.idleCheckMs));
            continue;
          }
          pacer.spend(result.messages.length);
          // The next batch is decided while this one is published: its attempts are stored
          // already, so the order of the two cannot lose or repeat a contact.
          const publishing = this.publish(result.messages).catch((err: unknown) => {
            failed ??= err instanceof Error ? err : new Error(String(err));
          });
          inFlight.add(publishing);
          void publishing.finally(() => inFlight.delete(publishing));
          while (inFlight.size >= this.maxInFlight) await Promise.race(inFlight);
        }
      } finally {
        await Promise.all(inFlight);
        // What JetStream acknowledged is published, whoever owns the partition now.
        await markPublished(campaignDb(this.options.db), this.acked.splice(0)).catch((err: unknown) =>
          this.options.logger?.warn('campaign attempts not marked published', { campaign: name, tenant, error: String(err) }),
        );
      }
    } catch (err) {
      // The partition moved on under a batch: its new owner runs the campaign.
      if (err instanceof ParleyError && err.code === 'notPartitionOwner') return 'partition-lost';
      throw err;
    }
  }

  /**
   * Attempts left `sending` by an owner that died (or lost the partition) between its
   * commit and its publish are decided again (suppression and window re-checked) and, if
   * still due, re-published with the same message id: JetStream drops the copy it
   * already has.
   */
  private async recover(): Promise<void> {
    await this.host.run(this.partition, async (tx) => {
      await campaignDb(tx)
        .updateTable('campaign_attempts')
        .set({ status: 'waiting', due_at: this.now(), reason: 'recovered' })
        .where('tenant', '=', this.tenant)
        .where('campaign', '=', this.name)
        .where('status', '=', 'sending')
        .execute();
    });
  }

  /** One batch in the partition's turn; the acknowledged messages it marks go back to the list if it fails. */
  private async batch(prepared: PreparedCampaign, limit: number): Promise<BatchResult> {
    const published = this.acked.splice(0);
    try {
      // The work may run twice (its shared transaction failed for another item): it changes nothing of the runner's.
      return await this.host.run(this.partition, (tx, fence, results) => this.decideBatch(tx, fence, results, prepared, limit, published));
    } catch (err) {
      this.acked.unshift(...published);
      throw err;
    }
  }

  private async decideBatch(tx: Kysely<Database>, fence: Fence, results: StepResults, prepared: PreparedCampaign, limit: number, published: readonly string[]): Promise<BatchResult> {
    const { tenant, name } = this;
    const { campaign } = prepared;
    const listId = campaign.spec.contacts.listId;
    const db = campaignDb(tx);
    const actor = await campaignIn(tx, fence, this.host.actors, tenant, name);
    const state = actor ? (String(actor.snapshot.value) as CampaignState) : 'stopped';
    if (!actor || state !== 'running') {
      await markPublished(db, published);
      return { kind: 'idle', state };
    }
    const run = await db.selectFrom('campaign_runs').select(['cursor', 'low_water']).where('tenant', '=', tenant).where('name', '=', name).executeTakeFirstOrThrow();
    const now = this.now();
    const candidates = await this.nextCandidates(db, listId, now, limit, run.cursor, run.low_water);
    if (candidates.length === 0) {
      await markPublished(db, published);
      // Both read off the index on (tenant, campaign, status, due_at). Sending: published by
      // the batch in flight, not yet marked; the campaign is done only once it is.
      const { rows } = await sql<{ due: Date | null; sending: boolean }>`
        select (select min(due_at) from campaign_attempts where tenant = ${tenant} and campaign = ${name} and status = 'waiting') as due,
               exists (select 1 from campaign_attempts where tenant = ${tenant} and campaign = ${name} and status = 'sending') as sending`.execute(tx);
      const waiting = rows[0];
      if (waiting && (waiting.due !== null || waiting.sending)) return { kind: 'wait', dueAt: waiting.due ?? undefined, sending: waiting.sending };
      await stepCampaign(tx, fence, this.host.actors, actor, { type: 'exhausted', at: now.toISOString() }, results);
      return { kind: 'done' };
    }
    const field = CampaignChannelKinds[prepared.kind];
    const addresses = candidates.map((c) => c[field]).filter((a): a is string => a !== null);
    // Checked in the transaction that writes the attempts, just before their publish: an
    // opt-out recorded before this moment stops the message.
    const suppressed = await suppressionsAmong(tx, tenant, addresses, prepared.kind, { lists: campaign.spec.doNotContact });
    // A batch's contacts share a handful of zones: each zone set's next opening is computed once.
    const openings = new Map<string, Date | undefined>();
    const planned: PlannedAttempt[] = [];
    const messages = new Map<string, OutboundMessage>();
    for (const c of candidates) {
      const decision = this.decide(prepared, c, suppressed, now, openings);
      planned.push(decision.attempt);
      if (decision.message) messages.set(c.contactId, decision.message);
    }
    const fresh = candidates.filter((c) => !c.attempt).map((c) => BigInt(c.position));
    const swept = fresh.length === 0 ? undefined : { min: String(fresh.reduce((a, b) => (a < b ? a : b))), max: String(fresh.reduce((a, b) => (a > b ? a : b))) };
    const written = await writeAttempts(db, { tenant, campaign: name, listId, channel: campaign.spec.channel, epoch: String(fence.epoch) }, planned, { swept, published });
    return { kind: 'sent', messages: [...messages].filter(([id]) => written.has(id)).map(([, m]) => m) };
  }

  /**
   * Due waiting attempts first, then contacts added at the top of the list since the
   * start (below the low-water mark), then the list in order after the cursor: one
   * statement, each part limited, the first `limit` kept in that order.
   */
  private async nextCandidates(trx: Kysely<CampaignDatabase>, listId: string, now: Date, limit: number, cursor: string | null, lowWater: string | null): Promise<Candidate[]> {
    const { tenant, name } = this;
    // Contacts already attempted (a waiting one swept again, say) are filtered out by the attempt upsert.
    const { rows } = await sql<{
      part: number;
      contact_id: string;
      phone: string | null;
      email: string | null;
      time_zone: string | null;
      columns: Record<string, string>;
      position: string;
      message_id: string | null;
      conversation_id: string | null;
    }>`
      (SELECT 0 AS part, c.contact_id, c.phone, c.email, c.time_zone, c.columns, c.position, a.message_id, a.conversation_id
         FROM campaign_attempts a
         JOIN contacts c ON c.tenant = a.tenant AND c.list_id = a.list_id AND c.contact_id = a.contact_id
        WHERE a.tenant = ${tenant} AND a.campaign = ${name} AND a.status = 'waiting' AND a.due_at <= ${now}
        ORDER BY a.due_at LIMIT ${limit})
      UNION ALL
      (SELECT 1, c.contact_id, c.phone, c.email, c.time_zone, c.columns, c.position, NULL, NULL
         FROM contacts c
        WHERE c.tenant = ${tenant} AND c.list_id = ${listId} AND c.position < ${lowWater}::bigint
        ORDER BY c.position LIMIT ${limit})
      UNION ALL
      (SELECT 2, c.contact_id, c.phone, c.email, c.time_zone, c.columns, c.position, NULL, NULL
         FROM contacts c
        WHERE c.tenant = ${tenant} AND c.list_id = ${listId}
          AND (${cursor}::bigint IS NOT NULL OR ${lowWater}::bigint IS NULL)
          AND (${cursor}::bigint IS NULL OR c.position > ${cursor}::bigint)
        ORDER BY c.position LIMIT ${limit})`.execute(trx);
    // UNION ALL promises no order: put the parts back in order, and the list in position
    // order — the cut below must keep the lowest positions, or the cursor would pass some.
    const key = (r: (typeof rows)[number], i: number) => (r.part === 0 ? BigInt(i) : BigInt(r.position));
    const ordered = rows.map((r, i) => ({ r, k: key(r, i) })).sort((x, y) => x.r.part - y.r.part || (x.k < y.k ? -1 : x.k > y.k ? 1 : 0));
    return ordered.slice(0, limit).map(({ r }) => ({
      contactId: r.contact_id,
      phone: r.phone,
      email: r.email,
      timeZone: r.time_zone,
      columns: r.columns,
      position: String(r.position),
      ...(r.message_id !== null && r.conversation_id !== null && { attempt: { messageId: r.message_id, conversationId: r.conversation_id } }),
    }));
  }

  private decide(
    prepared: PreparedCampaign,
    c: Candidate,
    suppressed: Map<string, { reason: string }>,
    now: Date,
    openings: Map<string, Date | undefined>,
  ): { attempt: PlannedAttempt; message?: OutboundMessage } {
    const address = prepared.kind === 'sms' ? c.phone : c.email;
    const ids = c.attempt ?? { messageId: randomUUID(), conversationId: randomUUID() };
    const attempt = (status: PlannedAttempt['status'], reason: string | null, dueAt: Date | null = null): PlannedAttempt => ({ contactId: c.contactId, ...ids, address, status, reason, dueAt });
    if (address === null) return { attempt: attempt('skipped', prepared.kind === 'sms' ? 'no-phone' : 'no-email') };
    const suppression = suppressed.get(address);
    if (suppression) return { attempt: attempt('skipped', suppression.reason) };
    const { zones } = recipientZones({ time_zone: c.timeZone, phone: c.phone }, prepared.defaultZone);
    const zoneKey = zones.join('&');
    if (!openings.has(zoneKey)) openings.set(zoneKey, nextOpening(prepared.window, zones, now) ?? nextOpening(prepared.window, [prepared.defaultZone], now));
    const opening = openings.get(zoneKey);
    if (opening === undefined) return { attempt: attempt('failed', 'no-sending-window') };
    if (opening.getTime() > now.getTime()) return { attempt: attempt('waiting', 'quiet-hours', opening) };
    const vars: TemplateContact = { id: c.contactId, phone: c.phone, email: c.email, time_zone: c.timeZone };
    for (const column of prepared.listColumns) vars[column] = c.columns[column] || null;
    let text: string;
    let email: OutboundMessage['email'];
    try {
      text = prepared.message.render(vars);
      if (prepared.kind === 'email') {
        const listUnsubscribeUrl = this.options.unsubscribeUrl?.({ tenant: this.tenant, address, campaign: this.name });
        email = { subject: prepared.subject?.render(vars), html: prepared.html?.render(vars), ...(listUnsubscribeUrl && { listUnsubscribeUrl }) };
      }
    } catch (err) {
      return { attempt: attempt('failed', `template: ${(err as Error).message}`.slice(0, 500)) };
    }
    if (text.trim() === '') return { attempt: attempt('failed', 'empty-message') };
    const message: OutboundMessage = {
      version: 1,
      id: ids.messageId,
      tenant: this.tenant,
      channel: prepared.campaign.spec.channel,
      conversationId: ids.conversationId,
      to: { id: address, idType: prepared.kind === 'sms' ? 'phone' : 'email' },
      timestamp: now.toISOString(),
      text,
      ...(email && { email }),
      origin: { kind: 'campaign', campaign: this.name, attemptId: ids.messageId },
    };
    return { attempt: attempt('sending', null), message };
  }

  private async publish(messages: readonly OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await Promise.all(messages.map((m) => this.js.publish(subjects.outbound(m.tenant, m.channel), JSON.stringify(m), { msgID: m.id })));
    for (const m of messages) this.acked.push(m.id);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
