import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParleyClient } from '../../src/gateway/index.ts';
import type { Gateway } from '../../src/gateway/index.ts';
import { createLogger } from '../../src/observability/index.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { freePort } from '../support/services.ts';
import { startFixture } from './fixture.ts';
import type { GatewayFixture } from './fixture.ts';

const DESK = 'https://desk.example.com';

describe('gateway edge: ids, outages, CORS, rate limits, request ids', () => {
  let fx: GatewayFixture;
  let admin: Record<string, string>;

  beforeAll(async () => {
    fx = await startFixture();
    admin = { authorization: `Bearer ${fx.token('root', 'admin')}` };
  });

  afterAll(async () => {
    await fx?.stop();
  });

  describe('ids are checked at the edge', () => {
    it('answers 400 naming the field for a NUL byte in an agent id, and publishes nothing', async () => {
      const before = await fx.commandCount();
      const read = await fetch(`${fx.gateway.url}/v1/agents/ali%00ce`, { headers: admin });
      expect(read.status).toBe(400);
      expect(read.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await read.json()).toMatchObject({ type: 'invalidEnvelope', status: 400, detail: expect.stringMatching(/^agentId: /) as string });

      const write = await fetch(`${fx.gateway.url}/v1/agents/ali%00ce/presence`, { method: 'POST', headers: admin, body: '{"presence":"away"}' });
      expect(write.status).toBe(400);
      expect(await write.json()).toMatchObject({ detail: expect.stringMatching(/^agentId: /) as string });
      expect(await fx.commandCount()).toBe(before);
    });

    it('answers 400 naming the field for ids that are not UUIDs, on reads and on the events socket', async () => {
      for (const path of ['/v1/conversations/not-a-uuid', '/v1/conversations/%00/history', '/v1/conversations/x/assignments']) {
        const res = await fetch(`${fx.gateway.url}${path}`, { headers: admin });
        expect(res.status, path).toBe(400);
        expect(await res.json(), path).toMatchObject({ type: 'invalidEnvelope', detail: expect.stringMatching(/conversationId must be a UUID/) as string });
      }
      const offer = await fetch(`${fx.gateway.url}/v1/agents/alice/offers/nope/accept`, { method: 'POST', headers: admin });
      expect(await offer.json()).toMatchObject({ status: 400, detail: expect.stringMatching(/^offerId: /) as string });

      const stream = fx.client('root', 'admin').events('a*b');
      await expect(stream.opened).rejects.toMatchObject({ status: 400, code: 'invalidEnvelope' });
      await stream.close();
    });
  });

  describe('a database outage', () => {
    let unreachable: Store;
    let gw: Gateway;

    beforeAll(async () => {
      // A port nobody listens on: PostgreSQL refuses every connection.
      unreachable = await openStore({ url: `postgres://postgres@127.0.0.1:${await freePort()}/none`, poolSize: 1 });
      gw = await fx.startGateway({ db: unreachable.db });
    });

    afterAll(async () => {
      await unreachable?.close();
    });

    it('answers 503 unavailable with Retry-After, not 500', async () => {
      const id = randomUUID();
      for (const path of ['/v1/agents/alice', `/v1/conversations/${id}`, `/v1/conversations/${id}/history`]) {
        const res = await fetch(`${gw.url}${path}`, { headers: admin });
        expect(res.status, path).toBe(503);
        expect(Number(res.headers.get('retry-after')), path).toBeGreaterThan(0);
        expect(await res.json(), path).toMatchObject({ type: 'unavailable', status: 503, detail: 'the database is unavailable' });
      }
    });
  });

  describe('CORS', () => {
    let gw: Gateway;

    beforeAll(async () => {
      gw = await fx.startGateway({ corsOrigins: [DESK] });
    });

    it('answers a preflight from an allowed origin', async () => {
      const res = await fetch(`${gw.url}/v1/agents/alice/presence`, {
        method: 'OPTIONS',
        headers: { origin: DESK, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(DESK);
      expect(res.headers.get('access-control-allow-methods')).toContain('POST');
      expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    });

    it('gives no CORS headers to another origin, and none when CORS is off', async () => {
      const other = await fetch(`${gw.url}/v1/agents/alice`, { headers: { ...admin, origin: 'https://evil.example.com' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const allowed = await fetch(`${gw.url}/v1/agents/alice`, { headers: { ...admin, origin: DESK } });
      expect(allowed.headers.get('access-control-allow-origin')).toBe(DESK);
      expect(allowed.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('retry-after');

      const off = await fetch(`${fx.gateway.url}/v1/agents/alice`, { headers: { ...admin, origin: DESK } });
      expect(off.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('rate limits', () => {
    let gw: Gateway;

    beforeAll(async () => {
      gw = await fx.startGateway({ rateLimit: { perToken: 3, perIp: 2, windowMs: 60_000 } });
    });

    it('answers 429 with Retry-After once a token used its requests, and counts each token alone', async () => {
      const headers = { authorization: `Bearer ${fx.token('sam', 'supervisor')}` };
      const remaining: (string | null)[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${gw.url}/v1/agents/nobody`, { headers });
        expect(res.status).toBe(404);
        remaining.push(res.headers.get('x-ratelimit-remaining'));
      }
      expect(remaining).toEqual(['2', '1', '0']);
      const limited = await fetch(`${gw.url}/v1/agents/nobody`, { headers });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(await limited.json()).toMatchObject({ type: 'rateLimited', status: 429 });

      // Another caller of the same tenant, from the same address, still gets through.
      const other = await fetch(`${gw.url}/v1/agents/nobody`, { headers: { authorization: `Bearer ${fx.token('tess', 'supervisor')}` } });
      expect(other.status).toBe(404);
    });

    it('counts callers without a valid token by IP address', async () => {
      const statuses: number[] = [];
      for (const token of ['garbage', 'still-garbage', 'more-garbage']) {
        statuses.push((await fetch(`${gw.url}/v1/agents/alice`, { headers: { authorization: `Bearer ${token}` } })).status);
      }
      expect(statuses).toEqual([401, 401, 429]);
    });

    it('counts event WebSocket upgrades', async () => {
      const client = new ParleyClient({ baseUrl: gw.url, token: fx.token('una', 'agent') });
      const streams = [client.events('una'), client.events('una'), client.events('una')];
      for (const stream of streams) await stream.opened;
      const fourth = client.events('una');
      await expect(fourth.opened).rejects.toMatchObject({ status: 429, code: 'rateLimited' });
      await Promise.all([...streams, fourth].map((s) => s.close()));
    });

    it('counts unknown paths too', async () => {
      const probe = await fx.startGateway({ rateLimit: { perIp: 2 } });
      const statuses: number[] = [];
      for (const path of ['/admin', '/.env', '/wp-login.php']) statuses.push((await fetch(`${probe.url}${path}`)).status);
      expect(statuses).toEqual([404, 404, 429]);
    });

    it('counts the client behind a trusted proxy by its forwarded address, and ignores the header otherwise', async () => {
      const anonymous = (url: string, forwardedFor: string) => fetch(`${url}/v1/agents/alice`, { headers: { 'x-forwarded-for': forwardedFor } }).then((r) => r.status);
      const behindProxy = await fx.startGateway({ rateLimit: { perIp: 1 }, trustedProxies: ['127.0.0.1'] });
      expect([await anonymous(behindProxy.url, '203.0.113.1'), await anonymous(behindProxy.url, '203.0.113.2')]).toEqual([401, 401]);
      expect(await anonymous(behindProxy.url, '203.0.113.1')).toBe(429);

      const direct = await fx.startGateway({ rateLimit: { perIp: 1 } });
      expect([await anonymous(direct.url, '203.0.113.1'), await anonymous(direct.url, '203.0.113.2')]).toEqual([401, 429]);
    });

    it('never limits the health checks', async () => {
      for (let i = 0; i < 5; i++) expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    });
  });

  describe('body limit', () => {
    it('answers 413 past the configured limit and reads bodies under it', async () => {
      const small = await fx.startGateway({ bodyLimitBytes: 2048 });
      const post = (text: string) =>
        fetch(`${small.url}/v1/agents/alice/presence`, { method: 'POST', headers: admin, body: JSON.stringify({ presence: 'sleeping', text }) });
      const over = await post('x'.repeat(3000));
      expect(over.status).toBe(413);
      expect(await over.json()).toMatchObject({ type: 'payloadTooLarge' });
      // Under the limit the body is read and checked: the presence is wrong, not the size.
      expect(await (await post('x'.repeat(1000))).json()).toMatchObject({ type: 'invalidEnvelope', detail: expect.stringMatching(/presence/) as string });
    });
  });

  describe('request ids', () => {
    it('answers with a request id, keeps a sane one the client sent, and logs it with the route', async () => {
      const lines: Record<string, unknown>[] = [];
      const logger = createLogger({ component: 'gateway' }, { level: 'info', write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
      const gw = await fx.startGateway({ logger });

      const generated = await fetch(`${gw.url}/healthz`);
      expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const kept = await fetch(`${gw.url}/v1/agents/nobody`, { headers: { ...admin, 'x-request-id': 'desk-42' } });
      expect(kept.headers.get('x-request-id')).toBe('desk-42');
      const replaced = await fetch(`${gw.url}/healthz`, { headers: { 'x-request-id': 'no spaces\tor tabs' } });
      expect(replaced.headers.get('x-request-id')).not.toBe('no spaces\tor tabs');

      expect(lines).toContainEqual(
        expect.objectContaining({ msg: 'request', requestId: 'desk-42', method: 'GET', route: '/v1/agents/:agentId', status: 404 }),
      );
      // Never the token.
      expect(JSON.stringify(lines)).not.toContain(admin.authorization!.slice(7));
    });
  });
});
