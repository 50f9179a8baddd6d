import type { Gateway, GatewayOptions } from '../gateway/index.ts';
import type { Readiness } from '../observability/index.ts';
import type { Settings } from './settings.ts';

/** The gateway's HTTP edge as the process settings give it (`parley gateway` and `parley up` alike). */
export function gatewayEdgeOptions(settings: Settings): Pick<GatewayOptions, 'host' | 'port' | 'corsOrigins' | 'rateLimit' | 'bodyLimitBytes' | 'trustedProxies' | 'webAppDir' | 'signIn'> {
  return {
    host: settings.host,
    port: settings.port,
    corsOrigins: settings.corsOrigins,
    rateLimit: { perToken: settings.rateLimitPerToken, perIp: settings.rateLimitPerIp },
    bodyLimitBytes: settings.bodyLimitBytes,
    trustedProxies: settings.trustedProxies,
    // Unset, the gateway finds the installation's own build (dist/web/app) by itself.
    ...(settings.webAppDir !== undefined && { webAppDir: settings.webAppDir }),
    // The web app's sign-in through the issuer, when its client is configured.
    ...(settings.auth.mode === 'oidc' && settings.auth.client && { signIn: { issuer: settings.auth.issuer, ...settings.auth.client } }),
  };
}

/**
 * The gateway's dependencies as an ops server's `/readyz` checks: `nats` and `database`,
 * each `true` or why not (the gateway reports failures as `"<dependency>: <reason>"`).
 */
export async function gatewayReadiness(gateway: Pick<Gateway, 'unready'>): Promise<Readiness> {
  const checks: Readiness = { nats: true, database: true };
  for (const failure of await gateway.unready()) {
    const at = failure.indexOf(': ');
    checks[at < 0 ? failure : failure.slice(0, at)] = at < 0 ? 'unavailable' : failure.slice(at + 2);
  }
  return checks;
}
