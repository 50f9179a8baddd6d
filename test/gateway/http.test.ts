import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpsServer } from '../../src/observability/index.ts';
import { openStore } from '../../src/store/index.ts';
import { freePort } from '../support/services.ts';
import { startFixture } from './fixture.ts';
import type { GatewayFixture } from './fixture.ts';

describe('gateway HTTP edge', () => {
  let fx: GatewayFixture;
  let admin: Record<string, string>;

  beforeAll(async () => {
    fx = await startFixture();
    admin = { authorization: `Bearer ${fx.token('root', 'admin')}` };
  });

  afterAll(async () => {
    await fx?.stop();
  });

  it('answers /healthz without a token', async () => {
    const res = await fetch(`${fx.gateway.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz 200 when NATS and the database answer', async () => {
    const res = await fetch(`${fx.gateway.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz 503 when the database does not', async () => {
    // A port nobody listens on: every connection attempt is refused at once.
    const unreachable = await openStore({ url: `postgres://postgres@127.0.0.1:${await freePort()}/none`, poolSize: 1 });
    try {
      const gw = await fx.startGateway({ db: unreachable.db });
      const res = await fetch(`${gw.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ type: 'unavailable', status: 503, detail: expect.stringMatching(/database/) as string });
    } finally {
      await unreachable.close();
    }
  });

  it('exposes its Prometheus metrics on the ops server, not on the public API port', async () => {
    const ops = await startOpsServer({ registry: fx.registry, ready: async () => (await fx.gateway.unready()).length === 0 });
    try {
      await fetch(`${fx.gateway.url}/healthz`);
      const res = await fetch(`${ops.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(fx.registry.contentType);
      const text = await res.text();
      expect(text).toMatch(/parley_gateway_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
      expect(text).toContain('parley_gateway_http_request_duration_seconds_bucket');
      expect((await fetch(`${ops.url}/readyz`)).status).toBe(200);

      const publicMetrics = await fetch(`${fx.gateway.url}/metrics`);
      expect(publicMetrics.status).toBe(404);
      expect(await publicMetrics.json()).toMatchObject({ type: 'routeNotFound' });
    } finally {
      await ops.close();
    }
  });

  it('answers 404 problem for an unknown route and 405 with Allow for a wrong method', async () => {
    const missing = await fetch(`${fx.gateway.url}/v1/nothing-here`, { headers: admin });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await missing.json()).toMatchObject({ type: 'routeNotFound', status: 404 });

    const wrong = await fetch(`${fx.gateway.url}/v1/agents/alice`, { method: 'DELETE', headers: admin });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('PUT, GET');
    expect(await wrong.json()).toMatchObject({ type: 'methodNotAllowed', status: 405 });
  });

  it('answers 400 malformedJson for a body that is not JSON', async () => {
    const res = await fetch(`${fx.gateway.url}/v1/agents/alice`, { method: 'PUT', headers: admin, body: '{"name": ' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'malformedJson', title: 'the payload is not valid JSON', status: 400 });
  });

  it('answers 400 invalidEnvelope for a JSON body that is not an object', async () => {
    const res = await fetch(`${fx.gateway.url}/v1/agents/alice`, { method: 'PUT', headers: admin, body: '[1, 2]' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'invalidEnvelope' });
  });

  it('answers 413 for a body over 1 MiB, and nothing is published', async () => {
    const before = await fx.commandCount();
    const body = JSON.stringify({ text: 'x'.repeat(1024 * 1024) });
    const res = await fetch(`${fx.gateway.url}/v1/conversations/00000000-0000-4000-8000-000000000000/messages`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ type: 'payloadTooLarge', status: 413 });
    expect(await fx.commandCount()).toBe(before);
  });

  it('answers 426 to a plain GET on the events route', async () => {
    const res = await fetch(`${fx.gateway.url}/v1/agents/alice/events`, { headers: admin });
    expect(res.status).toBe(426);
  });
});
