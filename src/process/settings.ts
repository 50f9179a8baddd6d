import { AuthSettingsError, readAuthSettings, type AuthSettings } from '../auth/index.ts';
import { isTimeZone } from '../contract/index.ts';

/**
 * Process settings from the environment, resolved once with their defaults.
 *
 * | variable              | meaning                                              | default                   |
 * |-----------------------|------------------------------------------------------|---------------------------|
 * | NATS_URL              | NATS server(s), comma-separated                      | started by `up`; else nats://127.0.0.1:4222 |
 * | DATABASE_URL          | postgres://… or pglite:<dir>                          | `up`: pglite:.parley/pglite |
 * | PARLEY_CONFIG         | folder of resource YAML synced into the config bucket | `up`: examples; router: none (the operator writes the bucket) |
 * | PARLEY_HOST           | address the HTTP servers bind                        | 127.0.0.1                 |
 * | PARLEY_PORT           | gateway port                                         | 8080                      |
 * | PARLEY_OPS_PORT       | /metrics, /healthz, /readyz port (router, gateway, up) | 9090                    |
 * | PARLEY_AUTH_SECRET    | HS256 secret for gateway tokens (its UTF-8 bytes)    | `up`: generated per data dir |
 * | PARLEY_AUTH_*         | how tokens are verified: `src/auth/auth-settings.ts` | local mode (HS256)        |
 * | PARLEY_DATA           | where `up` keeps its data and state file             | .parley                   |
 * | PARLEY_LOG_LEVEL      | debug, info, warn, error                             | info                      |
 * | PARLEY_NODE_ID        | router's name in the cluster (unique, stable: the pod name) | `<hostname>-<pid>`; `up`: up |
 * | PARLEY_PARTITIONS     | partitions of actors (every router and the store agree) | 64                     |
 * | PARLEY_LEASE_MS       | partition lease time: how soon a lost router's share moves | 10000                  |
 * | PARLEY_CORS_ORIGINS   | browser origins the gateway allows (CORS), comma-separated; `*` any | none (no CORS) |
 * | PARLEY_RATE_LIMIT     | gateway requests per minute per token (tenant/sub)   | 1200                      |
 * | PARLEY_RATE_LIMIT_IP  | gateway requests per minute per IP without a valid token | 300                   |
 * | PARLEY_BODY_LIMIT     | largest gateway request body, bytes                  | 1048576                   |
 * | PARLEY_TRUSTED_PROXIES | proxies whose X-Forwarded-For the gateway believes (addresses, CIDRs) | none     |
 * | PARLEY_OAUTH_SECRET   | derives the key of integrators' OAuth access tokens (≥ 16 characters) | local mode: PARLEY_AUTH_SECRET; else none (no OAuth, no notifications) |
 * | PARLEY_PUBLIC_URL     | the gateway's URL as the public reaches it: one-click unsubscribe links and agents' e-mail attachment links point there | `up`: the gateway's own URL; `channels`: `http://<PARLEY_HOST>:<PARLEY_PORT>`; else none |
 * | PARLEY_UNSUBSCRIBE_SECRET | signs one-click unsubscribe links (≥ 16 characters; routers and gateways share it) | local mode: PARLEY_AUTH_SECRET; else none (no links) |
 * | PARLEY_CHANNELS_PORT  | the channels role's webhook port (`parley channels`, `up`) | 8081 (`up` with PARLEY_PORT=0: 0) |
 * | PARLEY_CHANNELS_PUBLIC_URL | the URL providers call the webhooks at (scheme and host; Twilio signs it) | the request's Host, over http |
 * | PARLEY_CHANNELS_ACK_WAIT_MS | how soon a dead channels process's outbound messages go to another one | 30000 |
 * | PARLEY_SMTP_PORT      | the SMTP listener (the MX of e-mail Channels)         | `channels`: none (off); `up`: 2525 (PARLEY_PORT=0: 0) |
 * | PARLEY_WEB_SECRET     | key of web-messaging session tokens (≥ 32 characters, the same in every channels process) | `channels`: none (web messaging off); `up`: derived from the local secret |
 * | PARLEY_WIDGET_SCRIPT  | the built widget served at /web/v1/widget.js          | dist/web/widget.js        |
 * | PARLEY_WEB_APP        | the built web app's folder, served at /app/ by the gateway | dist/web/app          |
 * | PARLEY_REPORT_TIME_ZONES | IANA zones whose days reports keep rows for (UTC always), comma-separated | none (UTC only) |
 * | PARLEY_SECRETS_FILE   | a YAML file of provider secrets (namespace → Secret → key → value) instead of Kubernetes Secrets | `up`: <data>/secrets.yaml; `channels`: none (Kubernetes Secrets) |
 */
export interface Settings {
  natsUrl: string | undefined;
  databaseUrl: string | undefined;
  configDir: string | undefined;
  host: string;
  port: number;
  opsPort: number;
  authSecret: string | undefined;
  /** How gateway tokens are verified (`PARLEY_AUTH_*`, docs/authentication.md). */
  auth: AuthSettings;
  dataDir: string;
  nodeId: string | undefined;
  partitions: number;
  leaseMs: number;
  corsOrigins: string[];
  rateLimitPerToken: number;
  rateLimitPerIp: number;
  bodyLimitBytes: number;
  trustedProxies: string[];
  /** The secret OAuth access tokens' key derives from; unset, the local-mode auth secret. */
  oauthSecret: string | undefined;
  /** Where recipients reach the gateway (unsubscribe links). */
  publicUrl: string | undefined;
  unsubscribeSecret: string | undefined;
  channelsPort: number | undefined;
  channelsPublicUrl: string | undefined;
  secretsFile: string | undefined;
  channelsAckWaitMs: number;
  /** The SMTP listener's port; unset, `channels` runs no listener. */
  smtpPort: number | undefined;
  /** The web-messaging session key; unset, `channels` serves no web messaging. */
  webSecret: string | undefined;
  /** The gateway's public URL (scheme, host, port), for links agents open. */
  widgetScript: string | undefined;
  /** The built web app's folder (index.html and assets/); unset, the installation's dist/web/app. */
  webAppDir: string | undefined;
  /** Zones whose local days get report day rows besides UTC's (docs/reports.md). */
  reportTimeZones: string[];
}

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  return {
    natsUrl: env.NATS_URL || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    configDir: env.PARLEY_CONFIG || undefined,
    host: env.PARLEY_HOST || '127.0.0.1',
    port: port(env, 'PARLEY_PORT', 8080),
    opsPort: port(env, 'PARLEY_OPS_PORT', 9090),
    authSecret: env.PARLEY_AUTH_SECRET || undefined,
    auth: authSettings(env),
    dataDir: env.PARLEY_DATA || '.parley',
    nodeId: env.PARLEY_NODE_ID || undefined,
    partitions: integer(env, 'PARLEY_PARTITIONS', 64, 1, 1024),
    leaseMs: integer(env, 'PARLEY_LEASE_MS', 10_000, 1_000, 300_000),
    corsOrigins: list(env.PARLEY_CORS_ORIGINS),
    rateLimitPerToken: integer(env, 'PARLEY_RATE_LIMIT', 1200, 1, 1_000_000),
    rateLimitPerIp: integer(env, 'PARLEY_RATE_LIMIT_IP', 300, 1, 1_000_000),
    bodyLimitBytes: integer(env, 'PARLEY_BODY_LIMIT', 1024 * 1024, 1024, 64 * 1024 * 1024),
    trustedProxies: list(env.PARLEY_TRUSTED_PROXIES),
    oauthSecret: env.PARLEY_OAUTH_SECRET || undefined,
    publicUrl: gatewayUrl(env.PARLEY_PUBLIC_URL),
    unsubscribeSecret: secret(env, 'PARLEY_UNSUBSCRIBE_SECRET'),
    channelsPort: env.PARLEY_CHANNELS_PORT ? port(env, 'PARLEY_CHANNELS_PORT', 8081) : undefined,
    channelsPublicUrl: publicUrl(env.PARLEY_CHANNELS_PUBLIC_URL, 'PARLEY_CHANNELS_PUBLIC_URL'),
    secretsFile: env.PARLEY_SECRETS_FILE || undefined,
    channelsAckWaitMs: integer(env, 'PARLEY_CHANNELS_ACK_WAIT_MS', 30_000, 1_000, 600_000),
    smtpPort: env.PARLEY_SMTP_PORT ? port(env, 'PARLEY_SMTP_PORT', 25) : undefined,
    webSecret: webSecret(env.PARLEY_WEB_SECRET),
    widgetScript: env.PARLEY_WIDGET_SCRIPT || undefined,
    webAppDir: env.PARLEY_WEB_APP || undefined,
    reportTimeZones: timeZones(env.PARLEY_REPORT_TIME_ZONES),
  };
}

/** An http(s) URL without a path, or undefined. */
function publicUrl(raw: string | undefined, name: string): string | undefined {
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SettingsError(`${name}=${raw} is not a URL`);
  }
  if (!/^https?:$/.test(url.protocol) || (url.pathname !== '/' && url.pathname !== '')) throw new SettingsError(`${name}=${raw} must be http(s)://host[:port], without a path`);
  return url.origin;
}

/** An http(s) URL, a path prefix allowed (behind an ingress), without its trailing slash. */
function gatewayUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SettingsError(`PARLEY_PUBLIC_URL=${raw} is not a URL`);
  }
  if (!/^https?:$/.test(url.protocol) || url.search || url.hash) throw new SettingsError(`PARLEY_PUBLIC_URL=${raw} must be http(s)://host[:port][/path], without a query`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function secret(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  if (!value) return undefined;
  if (value.length < 16) throw new SettingsError(`${name} must be at least 16 characters`);
  return value;
}

/** Session tokens are HS256: a key shorter than the hash would weaken them. */
function webSecret(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  if (Buffer.byteLength(raw) < 32) throw new SettingsError('PARLEY_WEB_SECRET must be at least 32 characters');
  return raw;
}

function timeZones(raw: string | undefined): string[] {
  const zones = list(raw);
  const unknown = zones.find((zone) => !isTimeZone(zone));
  if (unknown) throw new SettingsError(`PARLEY_REPORT_TIME_ZONES: ${unknown} is not an IANA time zone (such as Europe/Paris)`);
  return zones;
}

/** A comma-separated list; blanks are dropped. */
function list(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new SettingsError(`${name}=${raw} must be an integer from ${min} to ${max}`);
  return value;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new SettingsError(`${name}=${raw} is not a port number`);
  return value;
}

function authSettings(env: NodeJS.ProcessEnv): AuthSettings {
  try {
    return readAuthSettings(env);
  } catch (err) {
    if (err instanceof AuthSettingsError) throw new SettingsError(err.message, { cause: err });
    throw err;
  }
}
