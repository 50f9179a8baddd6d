import { ensureStreams } from '../../src/bus/index.ts';
import type { Gateway } from '../../src/gateway/index.ts';
import type { ChannelDirectory } from '../../src/notifications/index.ts';
import { startFixture, type GatewayFixture } from '../gateway/fixture.ts';

export const OAUTH_SECRET = 'notifications-test-oauth-secret-0123';

/** The channels of both test tenants: what the live configuration would say. */
export const channels: ChannelDirectory = {
  channel: (_tenant, name) => ({ 'sms-us': { type: 'sms' }, 'wa-us': { type: 'whatsapp' }, mail: { type: 'email' }, chat: { type: 'web' } })[name],
};

export interface IntegrationFixture {
  fx: GatewayFixture;
  gateway: Gateway;
  /** The fake clock the quiet hours read. */
  clock: { now: Date };
  call(method: string, path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }>;
  /** Creates a client as an admin of `tenant` and returns its credentials. */
  createClient(tenant: string, scopes: string[]): Promise<{ clientId: string; clientSecret: string; callbackSigningSecret: string }>;
  /** An access token of the client credentials grant. */
  clientToken(client: { clientId: string; clientSecret: string }, scope?: string): Promise<string>;
}

/**
 * The gateway fixture (real NATS and PostgreSQL) with Parley's streams and a gateway
 * serving the integrator API, following receipts, with fast callback retries.
 */
export async function startIntegrationFixture(): Promise<IntegrationFixture> {
  const clock = { now: new Date('2026-12-04T17:00:00Z') };
  const fx = await startFixture();
  await ensureStreams(fx.nc);
  const gateway = await fx.startGateway({
    integrations: { oauthSecret: OAUTH_SECRET, channels, now: () => clock.now, defaultTimeZone: 'America/New_York', callbackRetry: { attempts: 4, firstDelayMs: 50, maxDelayMs: 200, timeoutMs: 2_000 }, allowPrivateCallbacks: true },
  });
  const call: IntegrationFixture['call'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${gateway.url}${path}`, { method, headers, ...(body !== undefined && { body }) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  return {
    fx,
    gateway,
    clock,
    call,
    async createClient(tenant, scopes) {
      const created = await call('POST', '/v1/oauth/clients', { token: fx.token('boss', 'admin', tenant), body: { name: `client of ${tenant}`, scopes } });
      if (created.status !== 201) throw new Error(`client not created: ${JSON.stringify(created.body)}`);
      return created.body as { clientId: string; clientSecret: string; callbackSigningSecret: string };
    },
    async clientToken(client, scope) {
      const form = new URLSearchParams({ grant_type: 'client_credentials', ...(scope && { scope }) });
      const answer = await call('POST', '/oauth/token', {
        body: form.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
      });
      if (answer.status !== 200) throw new Error(`no token: ${JSON.stringify(answer.body)}`);
      return answer.body.access_token as string;
    },
  };
}
