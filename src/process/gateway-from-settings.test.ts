import { describe, expect, it } from 'vitest';
import { gatewayEdgeOptions, gatewayReadiness } from './gateway-from-settings.ts';
import { readSettings } from './settings.ts';

describe('a gateway from the process settings', () => {
  it("reports each dependency the gateway finds down as a /readyz check, with the gateway's reason", async () => {
    expect(await gatewayReadiness({ unready: () => Promise.resolve([]) })).toEqual({ nats: true, database: true });
    expect(await gatewayReadiness({ unready: () => Promise.resolve(['database: select 1 failed']) })).toEqual({ nats: true, database: 'select 1 failed' });
    expect(await gatewayReadiness({ unready: () => Promise.resolve(['nats: connection closed', 'database: select 1 failed']) })).toEqual({
      nats: 'connection closed',
      database: 'select 1 failed',
    });
  });

  it('takes the HTTP edge settings from the environment', () => {
    const settings = readSettings({ PARLEY_PORT: '9000', PARLEY_CORS_ORIGINS: 'https://a.example,https://b.example', PARLEY_RATE_LIMIT: '10', PARLEY_RATE_LIMIT_IP: '5', PARLEY_BODY_LIMIT: '2048', PARLEY_TRUSTED_PROXIES: '10.0.0.0/8' });
    expect(gatewayEdgeOptions(settings)).toEqual({
      host: '127.0.0.1',
      port: 9000,
      corsOrigins: ['https://a.example', 'https://b.example'],
      rateLimit: { perToken: 10, perIp: 5 },
      bodyLimitBytes: 2048,
      trustedProxies: ['10.0.0.0/8'],
    });
    expect(gatewayEdgeOptions(readSettings({ PARLEY_WEB_APP: '/srv/parley-app' })).webAppDir).toBe('/srv/parley-app');
  });
});
