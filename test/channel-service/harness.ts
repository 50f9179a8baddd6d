import { afterAll, beforeAll } from 'vitest';
import { createLogger } from '../../src/observability/index.ts';
import { startChannelService, staticSecrets, type ChannelService, type ChannelServiceOptions } from '../../src/channel-service/index.ts';
import type { Resource } from '../../src/config/index.ts';
import { freePort, startTestServices, type TestServices } from '../support/services.ts';
import { startParley, type RunningParley } from '../support/parley.ts';

export interface ChannelsHarness {
  parley: RunningParley;
  channels: ChannelService;
  /** `http://127.0.0.1:<port>`: also the public base URL the webhooks are signed for. */
  baseUrl: string;
  services: TestServices;
  /** POSTs a webhook as the provider would. */
  post(path: string, body: Buffer, headers: Record<string, string>): Promise<Response>;
}

/**
 * Real NATS and PostgreSQL, a router (so messages reach agents) and a channels service in
 * this process, for the current test file. `resources()` is called once the providers'
 * fakes are up (their URLs go into the Channels).
 */
export function useChannels(
  resources: () => Resource[],
  secrets: () => Record<string, Record<string, Record<string, string>>>,
  options: Partial<Pick<ChannelServiceOptions, 'now' | 'sender' | 'bodyLimitBytes' | 'beforeSend' | 'transports' | 'web' | 'email'>> = {},
): () => ChannelsHarness {
  let harness: ChannelsHarness | undefined;
  beforeAll(async () => {
    const services = await startTestServices();
    const parley = await startParley(services.natsUrl, services.databaseUrl, resources());
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const channels = await startChannelService({
      nc: parley.nc,
      db: parley.store.db,
      config: parley.config,
      secrets: staticSecrets(secrets()),
      registry: parley.registry,
      logger: createLogger({}, { level: 'error' }),
      publicBaseUrl: baseUrl,
      port,
      sender: { retryBaseMs: 50, retryMaxMs: 2_000, ...options.sender },
      ...(options.now ? { now: options.now } : {}),
      ...(options.bodyLimitBytes ? { bodyLimitBytes: options.bodyLimitBytes } : {}),
      ...(options.beforeSend ? { beforeSend: options.beforeSend } : {}),
      ...(options.transports ? { transports: options.transports } : {}),
      ...(options.web ? { web: options.web } : {}),
      ...(options.email ? { email: options.email } : {}),
    });
    harness = {
      parley,
      channels,
      baseUrl,
      services,
      post: (path, body, headers) => fetch(`${baseUrl}${path}`, { method: 'POST', body, headers }),
    };
  });
  afterAll(async () => {
    await harness?.channels.close();
    await harness?.parley.stop();
    await harness?.services.stop();
  });
  return () => {
    if (!harness) throw new Error('the channels harness is not running');
    return harness;
  };
}
