import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigRegistry } from '../../src/config/index.ts';
import type { Role } from '../../src/gateway/index.ts';
import { channel, queue } from '../support/parley.ts';
import { OTHER_TENANT, SECRET, TENANT, startFixture } from './fixture.ts';
import type { GatewayFixture } from './fixture.ts';
import { agentContext, seedAgent, seedAssignment, seedConversation, seedCustomer } from './seed.ts';

/**
 * The web app's routes (docs/desktop.md): the tenant's queues, channels and agents, the
 * response library, notes and the customer, each checked for role and tenant; the local
 * login; the app's static files.
 */
describe('desktop routes', () => {
  let fx: GatewayFixture;
  let ownConversation: string;
  let strangerConversation: string;
  let otherTenantConversation: string;

  const call = async (method: string, path: string, who: [string, Role, string?], body?: unknown) => {
    const res = await fetch(`${fx.gateway.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${fx.token(...who)}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const alice: [string, Role] = ['alice', 'agent'];
  const sam: [string, Role] = ['sam', 'supervisor'];
  const zoeSupervisor: [string, Role, string] = ['zed', 'supervisor', OTHER_TENANT];

  beforeAll(async () => {
    const config = new ConfigRegistry();
    config.apply([
      channel(TENANT, 'whatsapp', { type: 'whatsapp', queue: 'support', whatsapp: { templates: [{ name: 'order_ready', language: 'en_US', label: 'Order ready', body: 'Hello {{1}}, order {{2}} is ready.' }] } }),
      queue(TENANT, 'support', { wrapUp: { codes: [{ code: 'resolved', label: 'Resolved' }] }, serviceLevel: { percentage: 90, within: '30s' } }),
      channel(OTHER_TENANT, 'sms', { type: 'sms', queue: 'secret-queue' }),
      queue(OTHER_TENANT, 'secret-queue'),
    ]);
    fx = await startFixture({ config, webAppDir: false });
    const db = fx.store.db;
    await seedAgent(db, agentContext(TENANT, 'alice', { name: 'Alice Dupont' }));
    await seedAgent(db, agentContext(TENANT, 'bob'));
    await seedAgent(db, agentContext(OTHER_TENANT, 'zoe'));
    const customer = await seedCustomer(db, TENANT);
    ownConversation = await seedConversation(db, { tenant: TENANT, customerId: customer, agentId: 'alice' });
    strangerConversation = await seedConversation(db, { tenant: TENANT, customerId: customer, agentId: 'bob' });
    const foreign = await seedCustomer(db, OTHER_TENANT);
    otherTenantConversation = await seedConversation(db, { tenant: OTHER_TENANT, customerId: foreign, agentId: 'alice' });
    await seedAssignment(db, { tenant: TENANT, conversationId: ownConversation, agentId: 'alice', state: 'accepted' });
  });

  afterAll(async () => {
    await fx?.stop();
  });

  describe('directory', () => {
    it('lists the tenant’s queues with wrap-up codes and targets, and its channels, to any role', async () => {
      const queues = await call('GET', '/v1/queues', alice);
      expect(queues).toEqual({
        status: 200,
        body: {
          queues: [
            {
              name: 'support',
              wrapUp: { codes: [{ code: 'resolved', label: 'Resolved' }], required: true, afterWorkMs: 0 },
              serviceLevel: { percentage: 90, withinMs: 30_000 },
              alertingTimeoutMs: 30_000,
            },
          ],
        },
      });
      // A WhatsApp channel lists its approved templates, with how many parameters each body takes.
      const template = { name: 'order_ready', language: 'en_US', label: 'Order ready', body: 'Hello {{1}}, order {{2}} is ready.', parameterCount: 2 };
      expect(await call('GET', '/v1/channels', alice)).toEqual({ status: 200, body: { channels: [{ name: 'whatsapp', type: 'whatsapp', queue: 'support', templates: [template] }] } });
    });

    it('never shows another tenant’s queues, channels or agents', async () => {
      const queues = await call('GET', '/v1/queues', zoeSupervisor);
      expect((queues.body.queues as { name: string }[]).map((q) => q.name)).toEqual(['secret-queue']);
      // Nor their channels' templates.
      expect(await call('GET', '/v1/channels', zoeSupervisor)).toEqual({ status: 200, body: { channels: [{ name: 'sms', type: 'sms', queue: 'secret-queue' }] } });
      const agents = await call('GET', '/v1/agents', alice);
      expect((agents.body.agents as { id: string }[]).map((a) => a.id)).toEqual(['alice', 'bob']);
      const theirs = await call('GET', '/v1/agents', zoeSupervisor);
      expect((theirs.body.agents as { id: string }[]).map((a) => a.id)).toEqual(['zoe']);
    });

    it('gives agents names and presence only, staff the full agent views', async () => {
      const agents = await call('GET', '/v1/agents', alice);
      expect((agents.body.agents as object[])[0]).toEqual({ id: 'alice', name: 'Alice Dupont', presence: 'available' });
      const staff = await call('GET', '/v1/agents', sam);
      expect((staff.body.agents as object[])[0]).toMatchObject({ id: 'alice', capacity: { message: { max: 2, used: 0 } }, offers: [], active: [] });
    });

    it('answers 503 from a gateway started without the configuration', async () => {
      const bare = await fx.startGateway({ config: undefined });
      const res = await fetch(`${bare.url}/v1/queues`, { headers: { authorization: `Bearer ${fx.token('alice', 'agent')}` } });
      expect(res.status).toBe(503);
    });
  });

  describe('response library', () => {
    let greetingId: string;

    it('supervisors create responses; agents may not', async () => {
      const created = await call('POST', '/v1/canned-responses', sam, { shortcut: 'greet', title: 'Greeting', body: 'Hello {{ customer.name }}' });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ shortcut: 'greet', title: 'Greeting', queue: null, updatedBy: 'sam' });
      greetingId = created.body.id as string;
      const byAgent = await call('POST', '/v1/canned-responses', alice, { shortcut: 'mine', title: 'Mine', body: 'x' });
      expect(byAgent.status).toBe(403);
      await call('POST', '/v1/canned-responses', sam, { shortcut: 'refund', title: 'Refund policy', body: 'Refunds take 5 days.', queue: 'support' });
      await call('POST', '/v1/canned-responses', sam, { shortcut: 'other', title: 'Other queue', body: 'Elsewhere.', queue: 'billing' });
    });

    it('refuses a duplicate shortcut (409), a broken template and a bad shortcut (400)', async () => {
      expect((await call('POST', '/v1/canned-responses', sam, { shortcut: 'greet', title: 'Again', body: 'x' })).body.type).toBe('shortcutTaken');
      const broken = await call('POST', '/v1/canned-responses', sam, { shortcut: 'broken', title: 'Broken', body: 'Hello {{ customer.name ' });
      expect(broken.status).toBe(400);
      expect(broken.body.detail).toMatch(/^body: not a valid template/);
      expect((await call('POST', '/v1/canned-responses', sam, { shortcut: 'Bad Shortcut', title: 'x', body: 'x' })).status).toBe(400);
    });

    it('searches by words and filters by queue (tenant-wide ones included)', async () => {
      const all = await call('GET', '/v1/canned-responses', alice);
      expect((all.body.responses as { shortcut: string }[]).map((r) => r.shortcut)).toEqual(['greet', 'other', 'refund']);
      const support = await call('GET', '/v1/canned-responses?queue=support', alice);
      expect((support.body.responses as { shortcut: string }[]).map((r) => r.shortcut)).toEqual(['greet', 'refund']);
      const found = await call('GET', '/v1/canned-responses?q=refunds%20days', alice);
      expect((found.body.responses as { shortcut: string }[]).map((r) => r.shortcut)).toEqual(['refund']);
      // LIKE wildcards typed by the user match literally.
      expect((await call('GET', '/v1/canned-responses?q=%25', alice)).body.responses).toEqual([]);
    });

    it('replaces and deletes', async () => {
      const replaced = await call('PUT', `/v1/canned-responses/${greetingId}`, sam, { shortcut: 'greet', title: 'Greeting', body: 'Hi {{ customer.name }}!' });
      expect(replaced).toMatchObject({ status: 200, body: { id: greetingId, body: 'Hi {{ customer.name }}!' } });
      expect((await call('PUT', `/v1/canned-responses/${greetingId}`, alice, { shortcut: 'greet', title: 'x', body: 'x' })).status).toBe(403);
      expect((await call('DELETE', `/v1/canned-responses/${randomUUID()}`, sam)).body.type).toBe('unknownCannedResponse');
    });

    it('another tenant neither sees nor changes them (404, as if they did not exist)', async () => {
      expect((await call('GET', '/v1/canned-responses', zoeSupervisor)).body.responses).toEqual([]);
      expect((await call('PUT', `/v1/canned-responses/${greetingId}`, zoeSupervisor, { shortcut: 'greet', title: 'x', body: 'x' })).status).toBe(404);
      expect((await call('DELETE', `/v1/canned-responses/${greetingId}`, zoeSupervisor)).status).toBe(404);
      expect((await call('DELETE', `/v1/canned-responses/${greetingId}`, sam)).body).toEqual({ deleted: true });
    });
  });

  describe('notes and customer', () => {
    it('the agent of the conversation writes and reads notes; staff read them', async () => {
      const note = await call('POST', `/v1/conversations/${ownConversation}/notes`, alice, { text: 'Customer wants a refund.' });
      expect(note).toMatchObject({ status: 201, body: { author: 'alice', text: 'Customer wants a refund.' } });
      const notes = await call('GET', `/v1/conversations/${ownConversation}/notes`, sam);
      expect((notes.body.notes as { text: string }[]).map((n) => n.text)).toEqual(['Customer wants a refund.']);
      expect((await call('POST', `/v1/conversations/${ownConversation}/notes`, alice, { text: '' })).status).toBe(400);
    });

    it('an agent never given the conversation may not (403); another tenant gets 404', async () => {
      expect((await call('POST', `/v1/conversations/${strangerConversation}/notes`, alice, { text: 'x' })).status).toBe(403);
      expect((await call('GET', `/v1/conversations/${strangerConversation}/notes`, alice)).status).toBe(403);
      expect((await call('GET', `/v1/conversations/${ownConversation}/notes`, zoeSupervisor)).status).toBe(404);
      expect((await call('GET', `/v1/conversations/${otherTenantConversation}/customer`, alice)).status).toBe(404);
      expect((await call('GET', `/v1/conversations/${ownConversation}/customer`, zoeSupervisor)).status).toBe(404);
    });

    it('gives the customer’s name', async () => {
      expect((await call('GET', `/v1/conversations/${ownConversation}/customer`, alice)).body).toMatchObject({ name: 'Test Customer' });
    });
  });

  describe('local login and the app', () => {
    it('is refused (403) by a gateway not started by parley up', async () => {
      const res = await fetch(`${fx.gateway.url}/v1/local-login`, { method: 'POST', body: JSON.stringify({ tenant: TENANT, sub: 'alice', role: 'admin' }) });
      expect(res.status).toBe(403);
    });

    it('signs a working token of the asked tenant and role under parley up', async () => {
      const up = await fx.startGateway({ localLogin: { secret: SECRET } });
      const bad = await fetch(`${up.url}/v1/local-login`, { method: 'POST', body: JSON.stringify({ tenant: 'Not A Tenant', sub: 'alice', role: 'agent' }) });
      expect(bad.status).toBe(400);
      const res = await fetch(`${up.url}/v1/local-login`, { method: 'POST', body: JSON.stringify({ tenant: TENANT, sub: 'alice', role: 'agent' }) });
      const { token } = (await res.json()) as { token: string };
      const me = await fetch(`${up.url}/v1/agents/alice`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);
      // The token is Alice's, an agent's: not a key to the rest of the tenant.
      expect((await fetch(`${up.url}/v1/agents/bob`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
    });

    it('serves no app when told not to', async () => {
      expect((await fetch(`${fx.gateway.url}/app/`)).status).toBe(404);
    });
  });
});
