import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ConfigRegistry } from '../../src/config/index.ts';
import { foldReportEvents } from '../../src/reports/index.ts';
import { queueActivityNotifier, type QueueActivity } from '../../src/supervision/index.ts';
import { subjects } from '../../src/contract/index.ts';
import type { AgentView } from '../../src/gateway/index.ts';
import { MIN_REFRESH_MS } from '../../src/gateway/supervisor-stream.ts';
import { queue } from '../support/parley.ts';
import { waitFor } from '../support/services.ts';
import { OTHER_TENANT, TENANT, startFixture } from './fixture.ts';
import type { GatewayFixture } from './fixture.ts';
import { agentContext, seedAgent, seedConversation, seedCustomer, seedMessage } from './seed.ts';

/**
 * The supervisor views' routes against a real gateway, NATS and PostgreSQL: queue activity
 * (HTTP and the tenant-wide stream), the interactions search with its filters, pages and
 * CSV export, the timeline with the routing decision, and who may see what.
 */

interface Page {
  interactions: { id: string; conversationId: string; kind: string; direction: string; channel: string; queue: string | null; agents: string[]; wrapUpCode: string | null; campaign: string | null }[];
  nextCursor: string | null;
}

describe('supervisor views', () => {
  let fx: GatewayFixture;
  let config: ConfigRegistry;
  let customer: string;
  let answered: string;
  let waiting: string;
  let smsClosed: string;
  let foreign: string;
  let notificationId: string;
  let campaignMessageId: string;
  const url = (path: string) => `${fx.gateway.url}${path}`;
  const get = (path: string, token: string, headers: Record<string, string> = {}) => fetch(url(path), { headers: { authorization: `Bearer ${token}`, ...headers } });
  const page = async (path: string, token: string): Promise<Page> => {
    const res = await get(path, token);
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Page;
  };

  beforeAll(async () => {
    config = new ConfigRegistry();
    config.apply([
      queue(TENANT, 'support', { serviceLevel: { percentage: 90, within: '20s' }, wrapUp: { codes: [{ code: 'resolved', label: 'Resolved' }] } }),
      queue(TENANT, 'billing', { skills: ['billing'] }),
      queue(TENANT, 'vip', { members: { agents: ['bob'] } }),
      queue(OTHER_TENANT, 'support'),
    ]);
    fx = await startFixture({ config });
    const db = fx.store.db;
    await seedAgent(db, agentContext(TENANT, 'alice', { skills: ['billing'], presence: 'available' }));
    await seedAgent(db, agentContext(TENANT, 'bob', { skills: [], presence: 'away' }));
    await seedAgent(db, agentContext(TENANT, 'carol', { skills: [], presence: 'offline' }));
    await seedAgent(db, agentContext(OTHER_TENANT, 'zoe'));

    customer = await seedCustomer(db, TENANT);
    await db.insertInto('identities').values({ tenant: TENANT, kind: 'phone', channel: '', value: '+33612345678', customer_id: customer }).execute();
    // Answered by alice in support, wrapped up; each step committed at its own (report) clock, as the router would.
    const t0 = Date.now() - 60_000;
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();
    const step = (s: number, fn: (tx: typeof db) => Promise<unknown>) =>
      db.transaction().execute(async (tx) => {
        await sql`SELECT set_config('parley.report_clock', ${at(s)}, true)`.execute(tx);
        await fn(tx);
      });
    let id = '';
    await step(0, async (tx) => (id = await seedConversation(tx, { tenant: TENANT, customerId: customer, channel: 'whatsapp', state: 'queued', queue: 'support', createdAt: at(0) })));
    answered = id;
    const offer = randomUUID();
    await seedMessage(db, { tenant: TENANT, conversationId: answered, customerId: customer, channel: 'whatsapp', direction: 'inbound', sentAt: at(5), text: 'my invoice' });
    await step(10, (tx) =>
      tx
        .insertInto('assignments')
        .values({ id: offer, tenant: TENANT, conversation_id: answered, agent_id: 'alice', queue: 'support', state: 'offered', offered_at: at(10), answered_at: null, ended_at: null, reason: JSON.stringify({ method: 'longest-idle', candidates: 2, score: 7 }) })
        .execute(),
    );
    await step(15, async (tx) => {
      await tx.updateTable('conversations').set({ state: 'connected', agent_id: 'alice' }).where('id', '=', answered).execute();
      await tx.updateTable('assignments').set({ state: 'accepted', answered_at: at(15) }).where('id', '=', offer).execute();
    });
    await seedMessage(db, { tenant: TENANT, conversationId: answered, customerId: customer, channel: 'whatsapp', direction: 'outbound', agentId: 'alice', sentAt: at(20), text: 'on it' });
    await step(30, async (tx) => {
      await tx.updateTable('assignments').set({ state: 'ended', ended_at: at(30), wrap_up_code: 'resolved' }).where('id', '=', offer).execute();
      await tx.updateTable('conversations').set({ state: 'parked', agent_id: null }).where('id', '=', answered).execute();
    });
    await sql`INSERT INTO conversation_notes (tenant, conversation_id, author, text) VALUES (${TENANT}, ${answered}::uuid, 'alice', 'refund done')`.execute(db);

    waiting = await seedConversation(db, { tenant: TENANT, customerId: customer, channel: 'sms', state: 'queued', queue: 'billing', createdAt: new Date(Date.now() - 30_000).toISOString() });
    smsClosed = await seedConversation(db, { tenant: TENANT, customerId: await seedCustomer(db, TENANT), channel: 'sms', state: 'closed', queue: 'vip', createdAt: '2026-11-01T10:00:00.000Z' });
    const globex = await seedCustomer(db, OTHER_TENANT);
    foreign = await seedConversation(db, { tenant: OTHER_TENANT, customerId: globex, channel: 'whatsapp', state: 'queued', queue: 'support' });

    notificationId = randomUUID();
    await db
      .insertInto('notifications')
      .values({ id: notificationId, tenant: TENANT, client_id: 'shop', request_hash: 'h', channel: 'sms', channel_kind: 'sms', recipient: '+33699999999', category: 'orders', transactional: true, status: 'delivered', message_id: randomUUID(), conversation_id: randomUUID(), text: 'your order shipped' })
      .execute();
    campaignMessageId = randomUUID();
    await sql`INSERT INTO campaign_attempts (tenant, campaign, contact_id, list_id, message_id, conversation_id, channel, address, status, epoch)
      VALUES (${TENANT}, 'spring-sale', 'c1', 'l1', ${campaignMessageId}::uuid, ${randomUUID()}::uuid, 'sms', '+33688888888', 'sent', 1)`.execute(db);
    await foldReportEvents(db, 10_000);
  });

  afterAll(async () => {
    await fx?.stop();
  });

  describe('interactions', () => {
    it('a supervisor lists every interaction of the tenant, newest first, outbound ones included', async () => {
      const { interactions } = await page('/v1/interactions', fx.token('sam', 'supervisor'));
      const ids = interactions.map((i) => i.id);
      expect(new Set(ids)).toEqual(new Set([answered, waiting, smsClosed, notificationId, campaignMessageId]));
      expect(ids).not.toContain(foreign);
      expect(ids.at(-1)).toBe(smsClosed);
      const row = interactions.find((i) => i.id === answered);
      expect(row).toMatchObject({ kind: 'conversation', direction: 'inbound', channel: 'whatsapp', queue: 'support', agents: ['alice'], wrapUpCode: 'resolved' });
      expect(interactions.find((i) => i.id === campaignMessageId)).toMatchObject({ kind: 'campaign', direction: 'outbound', campaign: 'spring-sale' });
      expect(interactions.find((i) => i.id === notificationId)).toMatchObject({ kind: 'notification', direction: 'outbound' });
    });

    it('each filter narrows the list', async () => {
      const sam = fx.token('sam', 'supervisor');
      const ids = async (query: string) => (await page(`/v1/interactions?${query}`, sam)).interactions.map((i) => i.id).sort();
      expect(await ids('channel=sms')).toEqual([waiting, smsClosed, notificationId, campaignMessageId].sort());
      expect(await ids('queue=support')).toEqual([answered]);
      expect(await ids('agent=alice')).toEqual([answered]);
      expect(await ids('wrapUpCode=resolved')).toEqual([answered]);
      expect(await ids('campaign=spring-sale')).toEqual([campaignMessageId]);
      expect(await ids('direction=outbound')).toEqual([notificationId, campaignMessageId].sort());
      expect(await ids('direction=inbound')).toEqual([answered, waiting, smsClosed].sort());
      expect(await ids(`customer=${customer}`)).toEqual([answered, waiting].sort());
      expect(await ids(`customer=${encodeURIComponent('+33612345678')}`)).toEqual([answered, waiting].sort());
      expect(await ids(`customer=${encodeURIComponent('+33699999999')}`)).toEqual([notificationId]);
      expect(await ids('from=2026-10-01T00:00:00Z&to=2026-11-02T00:00:00Z')).toEqual([smsClosed]);
    });

    it('pages by cursor without losing or repeating a row', async () => {
      const sam = fx.token('sam', 'supervisor');
      const seen: string[] = [];
      let next: string | null = '';
      while (next !== null) {
        const p: Page = await page(`/v1/interactions?limit=2${next ? `&cursor=${next}` : ''}`, sam);
        expect(p.interactions.length).toBeLessThanOrEqual(2);
        seen.push(...p.interactions.map((i) => i.id));
        next = p.nextCursor;
      }
      expect(seen).toHaveLength(5);
      expect(new Set(seen).size).toBe(5);
      expect((await get('/v1/interactions?cursor=bm9wZQ', sam)).status).toBe(400);
    });

    it('exports the filtered rows as CSV, by format=csv or Accept: text/csv', async () => {
      const sam = fx.token('sam', 'supervisor');
      for (const res of [await get('/v1/interactions?channel=sms&format=csv', sam), await get('/v1/interactions?channel=sms', sam, { accept: 'text/csv' })]) {
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
        expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="interactions-/);
        const lines = (await res.text()).trim().split('\n');
        expect(lines[0]).toBe('startedAt,endedAt,startedAtLocal,endedAtLocal,kind,direction,channel,queue,status,agents,wrapUpCode,campaign,customerId,customerName,address,conversationId,id');
        expect(lines.slice(1).map((l) => l.split(',').at(-1)).sort()).toEqual([waiting, smsClosed, notificationId, campaignMessageId].sort());
      }
    });

    it('filters by time of day, to the minute, with the instants’ offsets (from included, to excluded)', async () => {
      const sam = fx.token('sam', 'supervisor');
      const ids = async (from: string, to: string) => (await page(`/v1/interactions?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, sam)).interactions.map((i) => i.id);
      // smsClosed started at 10:00 UTC on 1 November: 11:00 in Paris, 19:00 in Tokyo, 05:00 in New York.
      expect(await ids('2026-11-01T10:00Z', '2026-11-01T10:01Z')).toEqual([smsClosed]);
      expect(await ids('2026-11-01T11:00+01:00', '2026-11-01T11:01+01:00')).toEqual([smsClosed]);
      expect(await ids('2026-11-01T19:00:00+09:00', '2026-11-01T19:00:01+09:00')).toEqual([smsClosed]);
      // The minute before in New York ends where it starts; the minute after starts after it.
      expect(await ids('2026-11-01T04:59-05:00', '2026-11-01T05:00-05:00')).toEqual([]);
      expect(await ids('2026-11-01T11:01+01:00', '2026-11-01T23:59+01:00')).toEqual([]);
      // Its local day in Tokyo is 1 November; the evening before in Paris is still 31 October in UTC…
      expect(await ids('2026-11-01T00:00+09:00', '2026-11-02T00:00+09:00')).toEqual([smsClosed]);
      expect(await ids('2026-10-31T00:00+01:00', '2026-11-01T00:00+01:00')).toEqual([]);
    });

    it('refuses an invalid or inverted range with a problem saying which bound', async () => {
      const sam = fx.token('sam', 'supervisor');
      for (const [query, detail] of [
        ['from=2026-11-01T12:00Z&to=2026-11-01T11:00Z', /^to: must be after from/],
        ['from=2026-11-01T12:00Z&to=2026-11-01T12:00Z', /^to: must be after from/],
        ['from=2026-11-01T12:00', /^from: an ISO-8601 instant with an offset/],
        ['to=yesterday', /^to: an ISO-8601 instant with an offset/],
        ['timeZone=Mars/Olympus', /^timeZone: an IANA time zone/],
      ] as const) {
        const res = await get(`/v1/interactions?${query}`, sam);
        expect(res.status, query).toBe(400);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        const problem = (await res.json()) as { type: string; detail: string };
        expect(problem.type).toBe('invalidEnvelope');
        expect(problem.detail, query).toMatch(detail);
      }
      // The CSV export refuses it the same way.
      expect((await get('/v1/interactions?format=csv&from=2026-11-02T00:00Z&to=2026-11-01T00:00Z', sam)).status).toBe(400);
    });

    it('the CSV gives local times and names its file after the range, in the chosen time zone', async () => {
      const sam = fx.token('sam', 'supervisor');
      const res = await get(`/v1/interactions?format=csv&timeZone=Europe/Paris&from=${encodeURIComponent('2026-11-01T09:30+01:00')}&to=${encodeURIComponent('2026-11-01T18:00+01:00')}`, sam);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="interactions-2026-11-01T0930-2026-11-01T1800.csv"');
      const [header, row, ...more] = (await res.text()).trim().split('\n');
      expect(more).toEqual([]);
      const columns = header?.split(',') ?? [];
      const cells = row?.split(',') ?? [];
      const cell = (name: string) => cells[columns.indexOf(name)];
      expect(cell('id')).toBe(smsClosed);
      expect(cell('startedAt')).toBe('2026-11-01T10:00:00.000Z');
      expect(cell('startedAtLocal')).toBe('2026-11-01 11:00:00');
      expect(cell('endedAtLocal')).toBe('');
    });

    it('an agent-started conversation is outbound, like a campaign reply’s; a customer’s stays inbound', async () => {
      // In the other tenant, so the lists above stay as they are.
      const zed = fx.token('zed', 'supervisor', OTHER_TENANT);
      const globex = await seedCustomer(fx.store.db, OTHER_TENANT);
      const started = await seedConversation(fx.store.db, { tenant: OTHER_TENANT, customerId: globex, channel: 'sms', state: 'connected', queue: null, startedBy: 'agent' });
      const campaignReply = await seedConversation(fx.store.db, { tenant: OTHER_TENANT, customerId: globex, channel: 'sms', state: 'queued', queue: 'support' });
      await sql`INSERT INTO campaign_attempts (tenant, campaign, contact_id, list_id, message_id, conversation_id, channel, address, status, epoch)
        VALUES (${OTHER_TENANT}, 'autumn', 'c1', 'l1', ${randomUUID()}::uuid, ${campaignReply}::uuid, 'sms', '+33677777777', 'sent', 1)`.execute(fx.store.db);
      const rows = (await page('/v1/interactions', zed)).interactions;
      const direction = (id: string) => rows.find((r) => r.id === id)?.direction;
      expect([direction(started), direction(campaignReply), direction(foreign)]).toEqual(['outbound', 'outbound', 'inbound']);
      const filtered = async (d: string) => (await page(`/v1/interactions?direction=${d}`, zed)).interactions.map((i) => i.id).sort();
      expect(await filtered('outbound')).toEqual([started, campaignReply].sort());
      expect(await filtered('inbound')).toEqual([foreign]);
      const timeline = (await (await get(`/v1/interactions/${started}/timeline`, zed)).json()) as { entries: { kind: string }[] };
      expect(timeline.entries[0]).toMatchObject({ kind: 'created', direction: 'outbound', startedBy: 'agent' });
    });

    it('the timeline shows who transferred an offer, with the note, apart from the routing decision', async () => {
      const zed = fx.token('zed', 'supervisor', OTHER_TENANT);
      const transferredBy = { agentId: 'zoe', note: 'wants a refund' };
      await fx.store.db
        .insertInto('assignments')
        .values({ id: randomUUID(), tenant: OTHER_TENANT, conversation_id: foreign, agent_id: 'yan', queue: 'support', state: 'offered', offered_at: new Date().toISOString(), answered_at: null, ended_at: null, reason: JSON.stringify({ method: 'transfer', candidates: 1, score: 0, transferredBy }) })
        .execute();
      const { entries } = (await (await get(`/v1/interactions/${foreign}/timeline`, zed)).json()) as { entries: { kind: string; [k: string]: unknown }[] };
      expect(entries.find((e) => e.kind === 'offer')).toEqual(expect.objectContaining({ agentId: 'yan', transferredBy, reason: { method: 'transfer', candidates: 1, score: 0 } }));
    });

    it('an agent sees the conversations offered to them and their queues’ history, never agentless outbound rows', async () => {
      // alice: answered `answered`; serves support and billing (she has the billing skill), not vip (bob only).
      const alice = (await page('/v1/interactions', fx.token('alice', 'agent'))).interactions.map((i) => i.id).sort();
      expect(alice).toEqual([answered, waiting].sort());
      // bob: no billing skill; support (everyone) and vip (a member).
      const bob = (await page('/v1/interactions', fx.token('bob', 'agent'))).interactions.map((i) => i.id).sort();
      expect(bob).toEqual([answered, smsClosed].sort());
    });

    it('the timeline shows the queue entry, the offer with its routing decision, its outcome, messages, wrap-up and note', async () => {
      const res = await get(`/v1/interactions/${answered}/timeline`, fx.token('sam', 'supervisor'));
      expect(res.status).toBe(200);
      const { conversation, entries } = (await res.json()) as { conversation: { id: string }; entries: { kind: string; [k: string]: unknown }[] };
      expect(conversation.id).toBe(answered);
      const kinds = entries.map((e) => e.kind);
      expect(kinds).toEqual(['created', 'queued', 'message', 'offer', 'accepted', 'answered', 'message', 'ended', 'parked', 'note']);
      expect(entries.find((e) => e.kind === 'queued')).toMatchObject({ queue: 'support', cause: 'arrival' });
      expect(entries.find((e) => e.kind === 'offer')).toMatchObject({ agentId: 'alice', queue: 'support', reason: { method: 'longest-idle', candidates: 2, score: 7 } });
      expect(entries.find((e) => e.kind === 'ended')).toMatchObject({ wrapUpCode: 'resolved' });
      expect(entries.find((e) => e.kind === 'note')).toMatchObject({ author: 'alice', text: 'refund done' });
    });

    it('an agent opens the timeline of their queues’ conversations only', async () => {
      expect((await get(`/v1/interactions/${waiting}/timeline`, fx.token('alice', 'agent'))).status).toBe(200);
      const refused = await get(`/v1/interactions/${smsClosed}/timeline`, fx.token('alice', 'agent'));
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ type: 'forbidden' });
    });
  });

  describe('queue activity', () => {
    it('counts waiting, longest wait, today’s answered and service level, and agents on each queue', async () => {
      const res = await get('/v1/queues/activity?timeZone=Europe/Paris', fx.token('sam', 'supervisor'));
      expect(res.status).toBe(200);
      const { queues } = (await res.json()) as { queues: QueueActivity[] };
      const byName = new Map(queues.map((q) => [q.queue, q]));
      expect([...byName.keys()]).toEqual(['billing', 'support', 'vip']);
      expect(byName.get('billing')).toMatchObject({ waiting: 1, agents: { online: 1, available: 1, busy: 0 } });
      expect(Date.parse(byName.get('billing')?.longestWaitingSince ?? '')).toBeLessThanOrEqual(Date.now());
      // Answered within its 20 s target? It waited from entry to the connect a moment later.
      expect(byName.get('support')).toMatchObject({ waiting: 0, offered: 1, answered: 1, abandoned: 0, serviceLevel: 100, serviceLevelTarget: { percentage: 90, withinSeconds: 20 }, agents: { online: 2, available: 1, busy: 0 } });
      expect(byName.get('vip')).toMatchObject({ agents: { online: 1, available: 0, busy: 0 } });
    });

    it('is for staff only', async () => {
      const res = await get('/v1/queues/activity', fx.token('alice', 'agent'));
      expect(res.status).toBe(403);
    });
  });

  describe('the supervisor stream', () => {
    function open(token: string, include?: string) {
      const ws = new WebSocket(`${fx.gateway.url.replace(/^http/, 'ws')}/v1/supervisor/events?access_token=${token}${include ? `&include=${include}` : ''}`);
      const frames: { type: string; [k: string]: unknown }[] = [];
      ws.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString()) as { type: string }));
      return { ws, frames };
    }

    it('starts with a snapshot, then pushes a queue’s new activity when its facts are folded', async () => {
      const sam = open(fx.token('sam', 'supervisor'));
      const gina = open(fx.token('gina', 'supervisor', OTHER_TENANT));
      await waitFor(() => (sam.frames[0] && gina.frames[0] ? true : undefined), { what: 'the snapshots' });
      expect(sam.frames[0]).toMatchObject({ type: 'queues.snapshot' });
      const before = (sam.frames[0]?.queues as QueueActivity[]).find((q) => q.queue === 'billing');
      expect(before?.waiting).toBe(1);

      const db = fx.store.db;
      await seedConversation(db, { tenant: TENANT, customerId: customer, channel: 'sms', state: 'queued', queue: 'billing', createdAt: new Date().toISOString() });
      // What the router's report folder does: fold, then note the queues that changed.
      queueActivityNotifier(fx.nc).folded(await foldReportEvents(db, 10_000));
      const update = await waitFor(() => sam.frames.find((f) => f.type === 'queue.activity' && (f.queue as QueueActivity).queue === 'billing'), { what: 'the billing update' });
      expect(update.queue).toMatchObject({ queue: 'billing', waiting: 2, offered: 2 });
      // Another tenant's supervisor saw nothing of it.
      expect(gina.frames.filter((f) => f.type === 'queue.activity' && (f.queue as QueueActivity).queue === 'billing')).toEqual([]);
      sam.ws.close();
      gina.ws.close();
    });

    it('pushes a busy queue at most twice a second, and ends on the last state', async () => {
      const sam = open(fx.token('sam', 'supervisor'));
      await waitFor(() => sam.frames[0], { what: 'the snapshot' });
      const start = Date.now();
      const waitingNow = (sam.frames[0]?.queues as QueueActivity[]).find((q) => q.queue === 'support')?.waiting ?? 0;
      const db = fx.store.db;
      const notifier = queueActivityNotifier(fx.nc);
      for (let i = 0; i < 8; i++) {
        await seedConversation(db, { tenant: TENANT, customerId: customer, state: 'queued', queue: 'support', createdAt: new Date().toISOString() });
        notifier.folded(await foldReportEvents(db, 10_000));
      }
      const supportFrames = () => sam.frames.filter((f) => f.type === 'queue.activity' && (f.queue as QueueActivity).queue === 'support');
      await waitFor(() => ((supportFrames().at(-1)?.queue as QueueActivity | undefined)?.waiting === waitingNow + 8 ? true : undefined), { what: 'the last state' });
      const elapsed = Date.now() - start;
      expect(supportFrames().length).toBeLessThanOrEqual(Math.ceil(elapsed / MIN_REFRESH_MS) + 1);
      sam.ws.close();
    });

    it('closes with 1001 when the gateway shuts down, and a new connection starts from a snapshot', async () => {
      const other = await fx.startGateway({ config });
      const ws = new WebSocket(`${other.url.replace(/^http/, 'ws')}/v1/supervisor/events?access_token=${fx.token('sam', 'supervisor')}`);
      const first = new Promise<{ type: string }>((resolve) => ws.once('message', (data: Buffer) => resolve(JSON.parse(data.toString()) as { type: string })));
      expect((await first).type).toBe('queues.snapshot');
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      await other.close();
      expect(await closed).toBe(1001);
    });

    it('with include=agents, carries the tenant’s agent board: a snapshot, then each agent that changed', async () => {
      const board = open(fx.token('sam', 'supervisor'), 'agents');
      const foreign = open(fx.token('gina', 'supervisor', OTHER_TENANT), 'agents');
      await waitFor(() => (board.frames[0] && foreign.frames[0] ? true : undefined), { what: 'the snapshots' });
      // Only what was asked for: no queue frames.
      expect(board.frames.map((f) => f.type)).toEqual(['agents.snapshot']);
      const snapshot = board.frames[0]?.agents as AgentView[];
      expect(snapshot.map((a) => a.id)).toEqual(['alice', 'bob', 'carol']);
      expect(snapshot.find((a) => a.id === 'bob')).toMatchObject({ presence: 'away', capacity: {} });
      expect((foreign.frames[0]?.agents as AgentView[]).map((a) => a.id)).toEqual(['zoe']);

      // Carol goes available: her row changes, then her event is published (what the router does).
      const since = new Date().toISOString();
      await fx.store.db
        .updateTable('agents')
        .set({ presence: 'available', snapshot: JSON.stringify({ status: 'active', value: 'available', context: agentContext(TENANT, 'carol', { presence: 'available', presenceSince: since }), historyValue: {} }) })
        .where('tenant', '=', TENANT)
        .where('id', '=', 'carol')
        .execute();
      fx.nc.publish(subjects.agentEvents(TENANT, 'carol'), JSON.stringify({ type: 'agent.state' }));
      const update = await waitFor(() => board.frames.find((f) => f.type === 'agent.view'), { what: 'carol’s new view' });
      expect(update.agent).toMatchObject({ id: 'carol', presence: 'available', presenceSince: since });
      // Only carol changed; the other tenant heard nothing of it.
      expect(board.frames.filter((f) => f.type === 'agent.view')).toHaveLength(1);
      expect(foreign.frames.filter((f) => f.type === 'agent.view')).toEqual([]);
      board.ws.close();
      foreign.ws.close();
    });

    it('refuses an include it does not know', async () => {
      const { ws } = open(fx.token('sam', 'supervisor'), 'agents,calls');
      ws.on('error', () => {
        // Expected: the upgrade is refused.
      });
      const status = await new Promise<number>((resolve) =>
        ws.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          res.destroy();
        }),
      );
      expect(status).toBe(400);
    });

    it('is refused to agents and without a valid token', async () => {
      for (const token of [fx.token('alice', 'agent'), 'nope']) {
        const { ws } = open(token);
        ws.on('error', () => {
          // Expected: the upgrade is refused.
        });
        const status = await new Promise<number>((resolve) =>
          ws.on('unexpected-response', (_req, res) => {
            resolve(res.statusCode ?? 0);
            res.destroy();
          }),
        );
        expect(status).toBe(token === 'nope' ? 401 : 403);
      }
    });
  });
});
