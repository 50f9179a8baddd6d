import type { NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { unsubscribeKey, type UnsubscribeKey } from '../compliance/index.ts';
import { register } from 'prom-client';
import type { Registry } from 'prom-client';
import { hs256Verifier } from '../auth/index.ts';
import { builtWebAppDir } from './web-app.ts';
import type { AttachmentLinks } from './agent-attachments.ts';
import type { TokenVerifier } from '../auth/index.ts';
import { createLogger } from '../observability/index.ts';
import type { Logger } from '../observability/index.ts';
import type { Database } from '../store/index.ts';
import type { ConfigRegistry } from '../config/index.ts';
import { resolveIntegrations } from './integration-options.ts';
import type { IntegrationOptions, ResolvedIntegrations } from './integration-options.ts';

/** Largest request body the gateway reads by default: 1 MiB. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Requests per caller and window; past them the gateway answers 429 with `Retry-After`. */
export interface RateLimitOptions {
  /** Per token (its `tenant/sub`), for callers with a valid token. @default 1200 */
  perToken?: number;
  /** Per client IP address, for callers without a valid token. @default 300 */
  perIp?: number;
  /** The window the counts are kept over. @default 60000 (one minute) */
  windowMs?: number;
}

/** What the gateway reads of the live configuration: the tenant's queues, channels and campaigns. */
export type GatewayDirectory = Pick<ConfigRegistry, 'allQueues' | 'allChannels' | 'queue' | 'channel' | 'campaign' | 'allCampaigns'>;

/** The password-less login of `parley up` (docs/desktop.md): never for a shared gateway. */
export interface LocalLoginOptions {
  /** The local-mode HS256 secret the tokens are signed with. */
  secret: string;
  /** Lifetime of a token. @default 28800 (8 hours) */
  ttlSeconds?: number;
}

/** The issuer and the web app's public client there (from `PARLEY_AUTH_ISSUER`, `PARLEY_AUTH_CLIENT_ID`, `PARLEY_AUTH_SCOPES`). */
export interface OidcSignInOptions {
  issuer: string;
  clientId: string;
  scopes: readonly string[];
}

export interface GatewayOptions {
  /** Connection to NATS; the gateway neither opens nor closes it. */
  nc: NatsConnection;
  /** The store; the gateway neither opens nor closes it. */
  db: Kysely<Database>;
  /** Verifies bearer tokens (HS256, JWKS, OIDC: see `src/auth`). Either this or `secret`. */
  verifier?: TokenVerifier;
  /** Shorthand for `verifier: hs256Verifier(secret)`. */
  secret?: string;
  /** @default 0 (any free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Where the gateway registers its metrics (served by the process's ops server). @default prom-client's global register */
  registry?: Registry;
  /** How long a command waits for the router's `command.result`. @default 10000 */
  commandTimeoutMs?: number;
  /** Where failures and one line per request are logged (never bodies or customer identifiers). @default a JSON logger on stdout */
  logger?: Logger;
  /** Browser origins allowed to call the API (CORS), e.g. `https://desk.example.com`; `*` allows any. @default [] (no CORS headers) */
  corsOrigins?: string[];
  /** @default { perToken: 1200, perIp: 300, windowMs: 60000 } */
  rateLimit?: RateLimitOptions;
  /** Largest request body in bytes (413 beyond). @default 1048576 (1 MiB) */
  bodyLimitBytes?: number;
  /**
   * Addresses or CIDRs of the proxies (ingress, load balancer) whose `X-Forwarded-For` is
   * believed: the client address behind them is what rate limits per IP count. @default [] (the peer's address)
   */
  trustedProxies?: string[];
  /** OAuth client credentials and agentless notifications. @default undefined (not served) */
  integrations?: IntegrationOptions;
  /** The live configuration: `GET /v1/queues` and `GET /v1/channels` (503 without it), and the queues' service-level targets in reports (the Queue resource's default without it). @default undefined */
  config?: GatewayDirectory;
  /** Turns on `POST /v1/local-login` (only `parley up` in local mode does). @default undefined (403) */
  localLogin?: LocalLoginOptions;
  /**
   * The web app's sign-in through an OpenID Connect issuer (docs/authentication.md §4): served
   * by `GET /v1/auth/sign-in`, and the issuer's origin is added to the app's CSP `connect-src`
   * (the app calls its discovery, token and revocation endpoints). @default undefined (no such sign-in)
   */
  signIn?: OidcSignInOptions;
  /**
   * The pool behind `db`, when it is a PostgreSQL server: contact imports load through
   * `COPY FROM STDIN` on it. @default undefined (imports use multi-row INSERTs, as on PGlite)
   */
  pool?: pg.Pool;
  /**
   * The secret one-click unsubscribe links are signed with (≥ 16 characters), shared with
   * the processes that run campaigns. @default undefined (`/v1/unsubscribe/…` answers 503)
   */
  unsubscribeSecret?: string;
  /**
   * Files agents upload to send (`POST /v1/conversations/:id/attachments`): the key their
   * links are signed with (at least 32 bytes), the URL providers reach the gateway at, and
   * how long a link works. @default undefined (uploads answer 503)
   */
  attachments?: AttachmentOptions;
  /**
   * The built web app (`npm run build:app`), served at `/app/`; `false` serves none.
   * @default the `dist/web/app` folder of this installation, when it exists
   */
  webAppDir?: string | false;
}

export interface AttachmentOptions {
  /** The HMAC key of the links (at least 32 bytes). */
  secret: Uint8Array | string;
  /** `https://host[/prefix]`. @default the URL each upload request came to */
  publicUrl?: string;
  /** Long enough for a provider's retries and for the customer to open it later. @default 2592000 (30 days) */
  linkTtlSeconds?: number;
}

/** Options with every default applied, resolved once at start. */
export interface ResolvedOptions {
  nc: NatsConnection;
  db: Kysely<Database>;
  verifier: TokenVerifier;
  port: number;
  host: string;
  registry: Registry;
  commandTimeoutMs: number;
  logger: Logger;
  corsOrigins: string[];
  rateLimit: Required<RateLimitOptions>;
  bodyLimitBytes: number;
  trustedProxies: string[];
  integrations: ResolvedIntegrations | undefined;
  config: GatewayDirectory | undefined;
  localLogin: Required<LocalLoginOptions> | undefined;
  signIn: OidcSignInOptions | undefined;
  pool: pg.Pool | undefined;
  unsubscribeKey: UnsubscribeKey | undefined;
  attachmentLinks: AttachmentLinks | undefined;
  /** undefined: no app is served. */
  webAppDir: string | undefined;
}

export function resolveOptions(opts: GatewayOptions): ResolvedOptions {
  if (opts.verifier === undefined && opts.secret === undefined) throw new RangeError('GatewayOptions needs a verifier or a secret');
  if (opts.secret !== undefined && opts.secret.length === 0) throw new RangeError('GatewayOptions.secret must not be empty');
  const commandTimeoutMs = opts.commandTimeoutMs ?? 10_000;
  const rateLimit = { perToken: 1200, perIp: 300, windowMs: 60_000, ...opts.rateLimit };
  const bodyLimitBytes = opts.bodyLimitBytes ?? MAX_BODY_BYTES;
  positive('commandTimeoutMs', commandTimeoutMs);
  positive('rateLimit.perToken', rateLimit.perToken);
  positive('rateLimit.perIp', rateLimit.perIp);
  positive('rateLimit.windowMs', rateLimit.windowMs);
  positive('bodyLimitBytes', bodyLimitBytes);
  return {
    nc: opts.nc,
    db: opts.db,
    verifier: opts.verifier ?? hs256Verifier(opts.secret as string),
    port: opts.port ?? 0,
    host: opts.host ?? '127.0.0.1',
    registry: opts.registry ?? register,
    commandTimeoutMs,
    logger: opts.logger ?? createLogger({ component: 'gateway' }),
    corsOrigins: opts.corsOrigins ?? [],
    rateLimit,
    bodyLimitBytes,
    trustedProxies: opts.trustedProxies ?? [],
    config: opts.config,
    integrations: opts.integrations && resolveIntegrations(opts.integrations),
    localLogin: opts.localLogin && { ttlSeconds: 8 * 3600, ...opts.localLogin },
    signIn: opts.signIn,
    pool: opts.pool,
    unsubscribeKey: opts.unsubscribeSecret === undefined ? undefined : unsubscribeKey(opts.unsubscribeSecret),
    attachmentLinks: opts.attachments && attachmentLinksOf(opts.attachments),
    webAppDir: opts.webAppDir === false ? undefined : (opts.webAppDir ?? builtWebAppDir()),
  };
}

function attachmentLinksOf(opts: AttachmentOptions): AttachmentLinks {
  const key = typeof opts.secret === 'string' ? Buffer.from(opts.secret, 'utf8') : opts.secret;
  if (key.length < 32) throw new RangeError('GatewayOptions.attachments.secret must be at least 32 bytes');
  const ttlSeconds = opts.linkTtlSeconds ?? 30 * 24 * 3600;
  positive('attachments.linkTtlSeconds', ttlSeconds);
  return { key, publicUrl: opts.publicUrl?.replace(/\/+$/, ''), ttlSeconds };
}

function positive(name: string, value: number): void {
  if (!(value > 0)) throw new RangeError(`GatewayOptions.${name} must be positive`);
}
