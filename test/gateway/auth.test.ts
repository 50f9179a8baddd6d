import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError, ParleyClient, signToken } from '../../src/gateway/index.ts';
import { campaignDb, ensureCampaignRun } from '../../src/campaigns/index.ts';
import { ConfigRegistry } from '../../src/config/index.ts';
import { channel } from '../support/parley.ts';
import { saveDncList } from '../../src/compliance/index.ts';
import { saveContactList } from '../../src/contacts/index.ts';
import { OTHER_TENANT, SECRET, TENANT, startFixture } from './fixture.ts';
import type { GatewayFixture } from './fixture.ts';
import { agentContext, seedAgent, seedAssignment, seedConversation, seedCustomer, seedMessage } from './seed.ts';

async function failure(call: Promise<unknown>): Promise<GatewayError> {
  return call.then(
    () => expect.fail('expected the call to fail'),
    (err: unknown) => {
      expect(err).toBeInstanceOf(GatewayError);
      return err as GatewayError;
    },
  );
}

describe('gateway authentication and authorization', () => {
  let fx: GatewayFixture;
  let ownConversation: string;
  let offeredConversation: string;
  let strangerConversation: string;
  let otherTenantConversation: string;
  let foreignCustomer: string;

  beforeAll(async () => {
    fx = await startFixture();
    const db = fx.store.db;
    await seedAgent(db, agentContext(TENANT, 'alice'));
    await seedAgent(db, agentContext(TENANT, 'bob'));
    // Same agent id in another tenant: a tenant-A token must never reach it.
    await seedAgent(db, agentContext(OTHER_TENANT, 'zoe'));

    const customer = await seedCustomer(db, TENANT);
    ownConversation = await seedConversation(db, { tenant: TENANT, customerId: customer, agentId: 'alice' });
    offeredConversation = await seedConversation(db, { tenant: TENANT, customerId: customer, agentId: 'bob', channel: 'sms' });
    await seedAssignment(db, { tenant: TENANT, conversationId: offeredConversation, agentId: 'alice', state: 'rejected' });
    strangerConversation = await seedConversation(db, { tenant: TENANT, customerId: customer, agentId: 'bob', channel: 'mail' });

    const foreign = await seedCustomer(db, OTHER_TENANT);
    otherTenantConversation = await seedConversation(db, { tenant: OTHER_TENANT, customerId: foreign, agentId: 'alice' });
    foreignCustomer = foreign;
    await seedMessage(db, {
      tenant: OTHER_TENANT,
      conversationId: otherTenantConversation,
      customerId: foreign,
      channel: 'web-chat',
      direction: 'inbound',
      sentAt: '2026-11-20T09:00:00Z',
      text: 'globex secret',
    });
  });

  afterAll(async () => {
    await fx?.stop();
  });

  describe('401 unauthorized', () => {
    it('without a token', async () => {
      const res = await fetch(`${fx.gateway.url}/v1/agents/alice`);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ type: 'unauthorized', title: 'missing or invalid credentials', status: 401 });
    });

    it('with a token signed by another secret, an expired token or garbage', async () => {
      const forged = signToken('not-the-gateway-secret', { sub: 'alice', tenant: TENANT, role: 'admin' });
      const expired = signToken(SECRET, { sub: 'alice', tenant: TENANT, role: 'agent' }, -1);
      for (const token of [forged, expired, 'garbage', '']) {
        const client = new ParleyClient({ baseUrl: fx.gateway.url, token });
        const err = await failure(client.getAgent('alice'));
        expect(err).toMatchObject({ status: 401, code: 'unauthorized' });
      }
    });

    it('before touching the body or publishing a command', async () => {
      const before = await fx.commandCount();
      const res = await fetch(`${fx.gateway.url}/v1/agents/alice/presence`, {
        method: 'POST',
        headers: { authorization: 'Basic YWxpY2U6cGFzc3dvcmQ=' },
        body: '{not json',
      });
      expect(res.status).toBe(401);
      expect(await fx.commandCount()).toBe(before);
    });

    it('on the events WebSocket', async () => {
      const stream = new ParleyClient({ baseUrl: fx.gateway.url, token: 'nope' }).events('alice');
      await expect(stream.opened).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
      await stream.close();
    });
  });

  describe('403 forbidden', () => {
    it('when an agent acts for another agent', async () => {
      const bob = fx.client('bob', 'agent');
      const offerId = randomUUID();
      const before = await fx.commandCount();
      for (const call of [
        () => bob.getAgent('alice'),
        () => bob.setPresence('alice', 'offline'),
        () => bob.acceptOffer('alice', offerId),
        () => bob.rejectOffer('alice', offerId),
        () => bob.configureAgent('bob', { name: 'Bob', skills: [], capacity: {} }),
      ]) {
        expect(await failure(call())).toMatchObject({ status: 403, code: 'forbidden' });
      }
      expect(await fx.commandCount()).toBe(before);
    });

    it('when a supervisor answers an offer for an agent', async () => {
      const err = await failure(fx.client('sam', 'supervisor').acceptOffer('alice', randomUUID()));
      expect(err).toMatchObject({ status: 403, code: 'forbidden' });
    });

    it('when an agent opens another agent’s event stream', async () => {
      const stream = fx.client('bob', 'agent').events('alice');
      await expect(stream.opened).rejects.toMatchObject({ status: 403, code: 'forbidden' });
      await stream.close();
    });

    it('when an agent reads a conversation it never had', async () => {
      const alice = fx.client('alice', 'agent');
      expect(await failure(alice.getConversation(strangerConversation))).toMatchObject({ status: 403, code: 'forbidden' });
      expect(await failure(alice.history(strangerConversation))).toMatchObject({ status: 403, code: 'forbidden' });
    });
  });

  describe('allowed', () => {
    it('an agent reads itself; supervisors and admins read any agent of their tenant', async () => {
      expect((await fx.client('alice', 'agent').getAgent('alice')).id).toBe('alice');
      expect((await fx.client('sam', 'supervisor').getAgent('alice')).id).toBe('alice');
      expect((await fx.client('root', 'admin').getAgent('bob')).id).toBe('bob');
    });

    it('an agent reads conversations assigned to it now or offered to it before', async () => {
      const alice = fx.client('alice', 'agent');
      expect((await alice.getConversation(ownConversation)).agentId).toBe('alice');
      expect((await alice.getConversation(offeredConversation)).agentId).toBe('bob');
      expect((await alice.history(offeredConversation)).customerId).toBeDefined();
    });

    it('a supervisor reads every conversation of its tenant', async () => {
      expect((await fx.client('sam', 'supervisor').getConversation(strangerConversation)).id).toBe(strangerConversation);
    });
  });

  describe('tenant isolation', () => {
    it('another tenant’s conversation is 404, exactly like a missing one, for every role', async () => {
      for (const client of [fx.client('alice', 'agent'), fx.client('sam', 'supervisor'), fx.client('root', 'admin')]) {
        expect(await failure(client.getConversation(otherTenantConversation))).toMatchObject({
          status: 404,
          code: 'unknownConversation',
        });
        expect(await failure(client.history(otherTenantConversation))).toMatchObject({ status: 404, code: 'unknownConversation' });
        expect(await failure(client.getConversation(randomUUID()))).toMatchObject({ status: 404, code: 'unknownConversation' });
      }
    });

    it('the sign-in routes tell nothing of a tenant: /v1/auth/me is the caller’s own token, /v1/auth/sign-in needs none', async () => {
      for (const [sub, role, tenant] of [['alice', 'agent', undefined], ['root', 'admin', OTHER_TENANT]] as const) {
        const me = await fetch(`${fx.gateway.url}/v1/auth/me`, { headers: { authorization: `Bearer ${fx.token(sub, role, tenant)}` } });
        expect(await me.json()).toMatchObject({ sub, role, tenant: tenant ?? TENANT });
      }
      expect((await fetch(`${fx.gateway.url}/v1/auth/me`)).status).toBe(401);
      const signIn = await fetch(`${fx.gateway.url}/v1/auth/sign-in`);
      expect(await signIn.json()).toEqual({ localLogin: false, oidc: null });
    });

    it('starting a conversation (POST /v1/conversations) never names another tenant’s customer; an admin may not start one', async () => {
      // alice of globex has this customer's conversation; alice of acme is someone else.
      const commandsBefore = await fx.commandCount();
      const start = async (sub: string, role: 'agent' | 'admin', first: Record<string, unknown> = { text: 'Hello' }) => {
        const response = await fetch(`${fx.gateway.url}/v1/conversations`, {
          method: 'POST',
          headers: { authorization: `Bearer ${fx.token(sub, role)}`, 'content-type': 'application/json' },
          body: JSON.stringify({ channel: 'web-chat', customerId: foreignCustomer, ...first }),
        });
        return { status: response.status, type: ((await response.json()) as { type?: string }).type };
      };
      expect(await start('alice', 'agent')).toEqual({ status: 422, type: 'noCustomerAddress' });
      // A WhatsApp template start is refused the same way, before any command.
      expect(await start('alice', 'agent', { template: { name: 'order_ready', language: 'en_US', parameters: ['x'] } })).toEqual({ status: 422, type: 'noCustomerAddress' });
      expect(await start('root', 'admin')).toEqual({ status: 403, type: 'forbidden' });
      expect(await fx.commandCount()).toBe(commandsBefore);
    });

    it('another tenant’s agent is 404', async () => {
      const err = await failure(fx.client('root', 'admin').getAgent('zoe'));
      expect(err).toMatchObject({ status: 404, code: 'unknownAgent' });
      // …while a token of that tenant sees it.
      expect((await fx.client('root', 'admin', OTHER_TENANT).getAgent('zoe')).id).toBe('zoe');
    });

    it('the interactions view, its timeline and queue activity never show another tenant’s', async () => {
      for (const [sub, role] of [['alice', 'agent'], ['sam', 'supervisor'], ['root', 'admin']] as const) {
        const auth = { authorization: `Bearer ${fx.token(sub, role)}` };
        const timeline = await fetch(`${fx.gateway.url}/v1/interactions/${otherTenantConversation}/timeline`, { headers: auth });
        expect(timeline.status).toBe(404);
        expect(await timeline.json()).toMatchObject({ type: 'unknownConversation' });
      }
      const sam = { authorization: `Bearer ${fx.token('sam', 'supervisor')}` };
      const list = (await (await fetch(`${fx.gateway.url}/v1/interactions?limit=500`, { headers: sam })).json()) as { interactions: { id: string }[] };
      expect(list.interactions.map((i) => i.id)).toContain(ownConversation);
      expect(list.interactions.map((i) => i.id)).not.toContain(otherTenantConversation);
      const csv = await (await fetch(`${fx.gateway.url}/v1/interactions?format=csv`, { headers: sam })).text();
      expect(csv).toContain(ownConversation);
      expect(csv).not.toContain(otherTenantConversation);
      // The tenant's own supervisor sees it.
      const gina = { authorization: `Bearer ${fx.token('gina', 'supervisor', OTHER_TENANT)}` };
      expect((await fetch(`${fx.gateway.url}/v1/interactions/${otherTenantConversation}/timeline`, { headers: gina })).status).toBe(200);
    });

    it('another tenant’s contact list, do-not-contact list and campaign are 404 on every route; an agent gets 403', async () => {
      const { db } = fx.store;
      await saveContactList(db, { tenant: TENANT, id: 'acme-list', name: 'Acme' });
      await saveDncList(db, { tenant: TENANT, id: 'acme-dnc', name: 'Acme DNC' });
      await ensureCampaignRun(campaignDb(db), { tenant: TENANT, name: 'acme-campaign', listId: 'acme-list', channel: 'sms', partition: 0 });
      const ask = async (method: string, path: string, tenant: string, role: 'admin' | 'agent', body?: string) => {
        const response = await fetch(`${fx.gateway.url}${path}`, { method, headers: { authorization: `Bearer ${fx.token('x', role, tenant)}`, ...(body !== undefined && { 'content-type': 'text/csv' }) }, body });
        return { status: response.status, type: ((await response.json()) as { type?: string }).type };
      };
      const routes: [string, string, string, string?][] = [
        ['GET', '/v1/contact-lists/acme-list', 'unknownContactList'],
        ['PUT', '/v1/contact-lists/acme-list', '', '{"name":"x"}'],
        ['DELETE', '/v1/contact-lists/acme-list', 'unknownContactList'],
        ['POST', '/v1/contact-lists/acme-list/contacts', 'unknownContactList', '{"phone":"+12125550100"}'],
        ['POST', '/v1/contact-lists/acme-list/import', 'unknownContactList', 'phone\n+12125550100\n'],
        ['GET', '/v1/contact-lists/acme-list/export', 'unknownContactList'],
        ['DELETE', '/v1/dnc-lists/acme-dnc', 'unknownDncList'],
        ['POST', '/v1/dnc-lists/acme-dnc/entries', 'unknownDncList', '{"entries":[{"address":"+12125550100"}]}'],
        ['DELETE', '/v1/dnc-lists/acme-dnc/entries/%2B12125550100', 'unknownDncList'],
        ['POST', '/v1/dnc-lists/acme-dnc/import', 'unknownDncList', 'phone\n+12125550100\n'],
        ['GET', '/v1/dnc-lists/acme-dnc/export', 'unknownDncList'],
        ['GET', '/v1/campaigns/acme-campaign', 'unknownCampaign'],
        ['POST', '/v1/campaigns/acme-campaign/pause', 'unknownCampaign'],
        ['POST', '/v1/campaigns/acme-campaign/stop', 'unknownCampaign'],
        ['GET', '/v1/campaigns/acme-campaign/export', 'unknownCampaign'],
      ];
      for (const [method, path, type, body] of routes) {
        // A PUT in another tenant creates that tenant's own list of the same id: nothing of ours.
        if (type) expect(await ask(method, path, OTHER_TENANT, 'admin', body), `${method} ${path}`).toEqual({ status: 404, type });
        expect((await ask(method, path, TENANT, 'agent', body)).status, `agent ${method} ${path}`).toBe(403);
      }
      for (const path of ['/v1/contact-lists', '/v1/dnc-lists', '/v1/campaigns', '/v1/consent/export']) expect((await ask('GET', path, TENANT, 'agent')).status, path).toBe(403);
      const lists = await (await fetch(`${fx.gateway.url}/v1/contact-lists`, { headers: { authorization: `Bearer ${fx.token('x', 'admin', OTHER_TENANT)}` } })).json();
      expect(lists).toEqual({ lists: [] });
    });

    it('an agent attachment upload never reaches another tenant’s conversation; its link opens that file only', async () => {
      const config = new ConfigRegistry();
      config.apply([channel(TENANT, 'web-chat', { type: 'web', queue: 'support' }), channel(OTHER_TENANT, 'web-chat', { type: 'web', queue: 'support' })]);
      const gateway = await fx.startGateway({ config, attachments: { secret: 'isolation-test-attachment-key-0123456789' } });
      const upload = async (conversationId: string, tenant: string) => {
        const response = await fetch(`${gateway.url}/v1/conversations/${conversationId}/attachments`, {
          method: 'POST',
          headers: { authorization: `Bearer ${fx.token('alice', 'agent', tenant)}`, 'content-type': 'text/plain' },
          body: `for ${tenant}`,
        });
        return { status: response.status, body: (await response.json()) as { type?: string; url?: string } };
      };
      // alice of acme and alice of globex are two people: the conversation is globex's alice's.
      expect(await upload(otherTenantConversation, TENANT)).toMatchObject({ status: 404, body: { type: 'unknownConversation' } });
      const own = await upload(otherTenantConversation, OTHER_TENANT);
      expect(own.status).toBe(201);
      const link = new URL(own.body.url!);
      expect(await (await fetch(link)).text()).toBe(`for ${OTHER_TENANT}`);
      // The signature names one file: moved onto any other id it opens nothing.
      const moved = await fetch(`${gateway.url}/v1/attachments/${randomUUID()}${link.search}`);
      expect(moved.status).toBe(404);
    });

    it('a tenant-B token reads its own conversation but not tenant A’s', async () => {
      const globex = fx.client('gina', 'supervisor', OTHER_TENANT);
      const history = await globex.history(otherTenantConversation);
      expect(history.messages.map((m) => m.text)).toEqual(['globex secret']);
      expect(await failure(globex.getConversation(ownConversation))).toMatchObject({ status: 404 });
    });
  });
});
