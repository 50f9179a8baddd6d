import type { CallbackRetryOptions, ChannelDirectory } from '../notifications/index.ts';
import { accessTokenKey, type AccessTokenKey } from '../oauth/index.ts';

/**
 * The integrator API: OAuth 2.0 client credentials (`POST /oauth/token`, client
 * administration) and agentless notifications (`/v1/notifications`). Without these
 * options the gateway serves neither.
 */
export interface IntegrationOptions {
  /**
   * The secret the access tokens' key is derived from, the same on every gateway: in local
   * auth mode `PARLEY_AUTH_SECRET` does, in any mode `PARLEY_OAUTH_SECRET` (≥ 16 characters).
   */
  oauthSecret: string;
  /** Where a notification's Channel is looked up (its kind); the live `ConfigRegistry` in a process. */
  channels: ChannelDirectory;
  /** Lifetime of an access token, in seconds. @default 900 (15 min) */
  tokenTtlSeconds?: number;
  /** Slack on an access token's `exp`. @default 0 */
  clockToleranceSeconds?: number;
  /** The zone of recipients whose zone is unknown or ambiguous (with the strictest window). @default 'UTC' */
  defaultTimeZone?: string;
  /** Whether this gateway follows delivery receipts and posts status callbacks (a shared durable consumer). @default true */
  followReceipts?: boolean;
  /** @default { attempts: 8, firstDelayMs: 1000, maxDelayMs: 300000, timeoutMs: 10000 } */
  callbackRetry?: CallbackRetryOptions;
  /** The clock (tests move it for quiet hours). @default () => new Date() */
  now?: () => Date;
  /** Accept http:// callback URLs and private addresses (tests, closed networks). @default false */
  allowPrivateCallbacks?: boolean;
}

export interface ResolvedIntegrations {
  key: AccessTokenKey;
  channels: ChannelDirectory;
  tokenTtlSeconds: number;
  clockToleranceSeconds: number;
  defaultTimeZone: string;
  followReceipts: boolean;
  callbackRetry: CallbackRetryOptions;
  now: () => Date;
  allowPrivateCallbacks: boolean;
}

export function resolveIntegrations(options: IntegrationOptions): ResolvedIntegrations {
  const tokenTtlSeconds = options.tokenTtlSeconds ?? 900;
  if (!Number.isInteger(tokenTtlSeconds) || tokenTtlSeconds < 1 || tokenTtlSeconds > 86_400) throw new RangeError('IntegrationOptions.tokenTtlSeconds must be an integer from 1 to 86400');
  return {
    key: accessTokenKey(options.oauthSecret),
    channels: options.channels,
    tokenTtlSeconds,
    clockToleranceSeconds: options.clockToleranceSeconds ?? 0,
    defaultTimeZone: options.defaultTimeZone ?? 'UTC',
    followReceipts: options.followReceipts ?? true,
    callbackRetry: options.callbackRetry ?? {},
    now: options.now ?? (() => new Date()),
    allowPrivateCallbacks: options.allowPrivateCallbacks ?? false,
  };
}
