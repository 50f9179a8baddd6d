import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessTokenKey, signAccessToken } from '../../src/oauth/index.ts';
import { OTHER_TENANT, TENANT } from '../gateway/fixture.ts';
import { OAUTH_SECRET, startIntegrationFixture, type IntegrationFixture } from './fixture.ts';

const form = (fields: Record<string, string>) => ({ body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const sms = { channel: 'sms-us', to: '+12125550100', category: 'alerts', text: 'Your order shipped' };

describe('OAuth 2.0 client credentials', () => {
  let it_: IntegrationFixture;
  beforeAll(async () => {
    it_ = await startIntegrationFixture();
  });
  afterAll(() => it_?.fx.stop());

  it('lets supervisors and admins create and list clients, shows the secret once and stores only its hash', async () => {
    const fx = it_.fx;
    const call = (...args: Parameters<IntegrationFixture['call']>) => it_.call(...args);
    const created = await call('POST', '/v1/oauth/clients', { token: fx.token('sue', 'supervisor'), body: { name: 'CRM', scopes: ['notifications:send'] } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'CRM', scopes: ['notifications:send'], createdBy: 'sue', revokedAt: null });
    const { clientId, clientSecret } = created.body as { clientId: string; clientSecret: string };
    const row = await fx.store.db.selectFrom('oauth_clients').selectAll().where('id', '=', clientId).executeTakeFirstOrThrow();
    expect(row.secret_hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(row.secret_hash).not.toContain(clientSecret);
    const listed = await call('GET', '/v1/oauth/clients', { token: fx.token('boss', 'admin') });
    const clients = listed.body.clients as Record<string, unknown>[];
    expect(clients.find((c) => c.clientId === clientId)).toBeDefined();
    expect(JSON.stringify(listed.body)).not.toContain(clientSecret);

    expect((await call('POST', '/v1/oauth/clients', { token: fx.token('alice', 'agent'), body: { name: 'x', scopes: ['notifications:send'] } })).status).toBe(403);
    expect((await call('GET', '/v1/oauth/clients', { token: fx.token('alice', 'agent') })).status).toBe(403);
    const badScope = await call('POST', '/v1/oauth/clients', { token: fx.token('boss', 'admin'), body: { name: 'x', scopes: ['admin:everything'] } });
    expect(badScope.status).toBe(400);
    expect(badScope.body.detail).toContain('admin:everything');
  });

  it('issues a short-lived token for HTTP Basic or form credentials, with the scopes asked or all granted', async () => {
    const client = await it_.createClient(TENANT, ['notifications:send', 'notifications:read']);
    const viaBasic = await it_.call('POST', '/oauth/token', { ...form({ grant_type: 'client_credentials', scope: 'notifications:read' }), headers: { ...form({}).headers, authorization: basic(client.clientId, client.clientSecret) } });
    expect(viaBasic.status).toBe(200);
    expect(viaBasic.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'notifications:read' });
    expect(viaBasic.headers.get('cache-control')).toBe('no-store');
    const viaForm = await it_.call('POST', '/oauth/token', form({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }));
    expect(viaForm.status).toBe(200);
    expect(viaForm.body.scope).toBe('notifications:send notifications:read');
  });

  it('answers the RFC 6749 errors: bad secret, unknown client, wrong scope, another grant, a JSON body', async () => {
    const client = await it_.createClient(TENANT, ['notifications:read']);
    const badSecret = await it_.call('POST', '/oauth/token', { ...form({ grant_type: 'client_credentials' }), headers: { ...form({}).headers, authorization: basic(client.clientId, 'not-the-secret') } });
    expect(badSecret.status).toBe(401);
    expect(badSecret.body.error).toBe('invalid_client');
    expect(badSecret.headers.get('www-authenticate')).toContain('Basic');
    const unknown = await it_.call('POST', '/oauth/token', form({ grant_type: 'client_credentials', client_id: 'pc_000000000000000000000000', client_secret: 'x' }));
    expect(unknown.body).toMatchObject({ error: 'invalid_client' });
    const wrongScope = await it_.call('POST', '/oauth/token', form({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret, scope: 'notifications:send' }));
    expect(wrongScope.status).toBe(400);
    expect(wrongScope.body).toMatchObject({ error: 'invalid_scope', error_description: expect.stringContaining('notifications:send') as string });
    const password = await it_.call('POST', '/oauth/token', form({ grant_type: 'password', username: 'u', password: 'p' }));
    expect(password.body.error).toBe('unsupported_grant_type');
    const json = await it_.call('POST', '/oauth/token', { body: { grant_type: 'client_credentials' } });
    expect(json.status).toBe(400);
    expect(json.body.error).toBe('invalid_request');
  });

  it('accepts a token on the notification routes only with the scope they need', async () => {
    const reader = await it_.createClient(TENANT, ['notifications:read']);
    const token = await it_.clientToken(reader);
    const refused = await it_.call('POST', '/v1/notifications', { token, body: sms });
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('insufficientScope');
    expect(refused.headers.get('www-authenticate')).toContain('insufficient_scope');
  });

  it('refuses an expired token, a forged one, and a client token on the agent API', async () => {
    const client = await it_.createClient(TENANT, ['notifications:send']);
    const key = accessTokenKey(OAUTH_SECRET);
    const expired = await signAccessToken(key, { clientId: client.clientId, tenant: TENANT, scopes: ['notifications:send'] }, 60, new Date(Date.now() - 3_600_000));
    const answer = await it_.call('POST', '/v1/notifications', { token: expired, body: sms });
    expect(answer.status).toBe(401);
    expect(answer.body.detail).toBe('token expired');
    const forged = await signAccessToken(accessTokenKey('another-secret-of-16-chars'), { clientId: client.clientId, tenant: TENANT, scopes: ['notifications:send'] }, 60);
    expect((await it_.call('POST', '/v1/notifications', { token: forged, body: sms })).status).toBe(401);
    const token = await it_.clientToken(client);
    expect((await it_.call('GET', '/v1/agents/alice', { token })).status).toBe(401);
  });

  it('stops a revoked client at once: its tokens and its secret are refused', async () => {
    const client = await it_.createClient(TENANT, ['notifications:send']);
    const token = await it_.clientToken(client);
    expect((await it_.call('POST', '/v1/notifications', { token, body: sms })).status).toBe(201);
    const revoked = await it_.call('POST', `/v1/oauth/clients/${client.clientId}/revoke`, { token: it_.fx.token('boss', 'admin') });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedBy).toBe('boss');
    const after = await it_.call('POST', '/v1/notifications', { token, body: sms });
    expect(after.status).toBe(401);
    expect(after.body.detail).toContain('revoked');
    const again = await it_.call('POST', '/oauth/token', form({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }));
    expect(again.body.error).toBe('invalid_client');
  });

  it('keeps clients to their tenant: another tenant’s admin neither sees nor revokes them, and a token acts in its own tenant only', async () => {
    const client = await it_.createClient(TENANT, ['notifications:send']);
    const globexAdmin = it_.fx.token('boss', 'admin', OTHER_TENANT);
    const listed = await it_.call('GET', '/v1/oauth/clients', { token: globexAdmin });
    expect((listed.body.clients as { clientId: string }[]).map((c) => c.clientId)).not.toContain(client.clientId);
    const revoke = await it_.call('POST', `/v1/oauth/clients/${client.clientId}/revoke`, { token: globexAdmin });
    expect(revoke.status).toBe(404);
    expect(revoke.body.type).toBe('unknownOAuthClient');
    const token = await it_.clientToken(client);
    const sent = await it_.call('POST', '/v1/notifications', { token, body: sms });
    expect(sent.status).toBe(201);
    const row = await it_.fx.store.db.selectFrom('notifications').select('tenant').where('id', '=', sent.body.id as string).executeTakeFirstOrThrow();
    expect(row.tenant).toBe(TENANT);
  });
});
