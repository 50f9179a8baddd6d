import type { NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { ChannelTransport, Refusal } from '../channels/index.ts';
import type { ConfigRegistry } from '../config/index.ts';
import type { InboundMessage, OutboundMessage } from '../contract/index.ts';
import type { Logger } from '../observability/index.ts';
import { ChannelDirectory } from './channel-directory.ts';
import { channelMetrics } from './metrics.ts';
import type { SecretSource } from './secrets.ts';
import { startSender, type SenderOptions } from './sender.ts';
import { channelDb } from './tables.ts';
import { startWebhookServer } from './webhook-server.ts';

export interface ChannelServiceOptions {
  readonly nc: NatsConnection;
  /** The migrated database (the channels role's tables: migration 2026-12-05T01-channel-service). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any database holding the channels role's tables
  readonly db: Kysely<any>;
  /** The live configuration: Channels and their `spec.provider` blocks. */
  readonly config: ConfigRegistry;
  /** Where provider secrets are read (Kubernetes Secrets, a local file). */
  readonly secrets: SecretSource;
  readonly registry: Registry;
  readonly logger: Logger;
  /** The public URL providers call, scheme and host (Twilio signs it). @default the request's Host header, over http */
  readonly publicBaseUrl?: string;
  /** The webhook port. @default 8081 */
  readonly port?: number;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** Largest webhook body (bytes): larger ones get 413. @default 1048576 */
  readonly bodyLimitBytes?: number;
  /** Channel types sent by a transport (e-mail, web messaging). @default [] */
  readonly transports?: readonly ChannelTransport[];
  /** Runs on each customer message before it is published (the keyword rules). @default none */
  readonly beforePublish?: (message: InboundMessage) => Promise<void>;
  /** The suppression check, asked before each send. @default none */
  readonly beforeSend?: (message: OutboundMessage) => Promise<Refusal | undefined>;
  /** The clock of the channel rules. @default () => new Date() */
  readonly now?: () => Date;
  /** Sender tuning (retries, concurrency, consumer name). */
  readonly sender?: Pick<SenderOptions, 'maxAttempts' | 'retryBaseMs' | 'retryMaxMs' | 'callTimeoutMs' | 'concurrency' | 'durable' | 'ackWaitMs'>;
}

export interface ChannelService {
  /** The webhook server, `http://host:port` (providers call `<publicBaseUrl>/webhooks/<tenant>/<channel>`). */
  readonly url: string;
  readonly port: number;
  /** Stops taking webhooks and outbound messages, and waits for those in progress. */
  close(): Promise<void>;
}

/** The channels role: provider webhooks in, provider send APIs out. */
export async function startChannelService(options: ChannelServiceOptions): Promise<ChannelService> {
  const db = channelDb(options.db);
  const metrics = channelMetrics(options.registry);
  const now = options.now ?? (() => new Date());
  const channels = new ChannelDirectory(options.config, options.secrets, options.publicBaseUrl);
  const server = await startWebhookServer({
    deps: { nc: options.nc, db, metrics, now, beforePublish: options.beforePublish },
    channels,
    metrics,
    logger: options.logger,
    publicBaseUrl: options.publicBaseUrl,
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.bodyLimitBytes !== undefined ? { bodyLimitBytes: options.bodyLimitBytes } : {}),
  });
  const sender = await startSender({
    nc: options.nc,
    db,
    channels,
    metrics,
    logger: options.logger,
    now,
    ...(options.transports ? { transports: options.transports } : {}),
    ...(options.beforeSend ? { beforeSend: options.beforeSend } : {}),
    ...options.sender,
  });
  return {
    url: server.url,
    port: server.port,
    async close() {
      await server.close();
      await sender.stop();
    },
  };
}
