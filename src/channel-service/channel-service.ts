import type { NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { ChannelTransport, Refusal } from '../channels/index.ts';
import type { ConfigRegistry } from '../config/index.ts';
import type { InboundMessage, OutboundMessage } from '../contract/index.ts';
import type { Logger } from '../observability/index.ts';
import { createEmailTransport, startSmtpInbound, type EmailTransport, type SmtpInbound, type SmtpListenerOptions } from '../email/index.ts';
import { tryPageRoute, webMessagingRoutes, type WebMessagingOptions } from '../web-messaging/index.ts';
import type { Database } from '../store/index.ts';
import { ChannelDirectory } from './channel-directory.ts';
import { EmailChannels } from './email-channels.ts';
import { imapPollers, type ImapPollers } from './imap-pollers.ts';
import { webChannelSettings } from './web-channels.ts';
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
  /** Channel types sent by a transport other than web messaging and e-mail (those two come with `web` and `email`). @default [] */
  readonly transports?: readonly ChannelTransport[];
  /**
   * Web messaging for `web` Channels, on the webhook server under `/web/v1` (sessions,
   * history, attachments, the customer WebSocket, the widget script). @default off
   */
  readonly web?: {
    /** HS256 key of session tokens and attachment links (≥ 32 bytes), the same in every channels process. */
    readonly secret: Uint8Array;
    readonly options?: WebMessagingOptions;
    /** Serve `/web/try/<tenant>/<channel>`, a page with the widget (`parley up`). @default false */
    readonly tryPage?: boolean;
  };
  /**
   * E-mail for `email` Channels: outbound through each Channel's SMTP relay, inbound by
   * IMAP polling and, when `smtp` is set, the SMTP listener (the MX). @default off
   */
  readonly email?: {
    /** Where agents download attachments: the gateway's public URL followed by `/v1/email-attachments/`. */
    readonly attachmentBaseUrl: string;
    /** The SMTP listener. @default none (IMAP polling only) */
    readonly smtp?: SmtpListenerOptions;
  };
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
  /** The SMTP listener's port, when it runs. */
  readonly smtpPort: number | undefined;
  /** Tells the role the configuration changed (IMAP pollers follow it). */
  configChanged(): void;
  /** Stops taking webhooks, mail and outbound messages, and waits for those in progress. */
  close(): Promise<void>;
}

/** The channels role: provider webhooks in, provider send APIs out. */
export async function startChannelService(options: ChannelServiceOptions): Promise<ChannelService> {
  const db = channelDb(options.db);
  const metrics = channelMetrics(options.registry);
  const now = options.now ?? (() => new Date());
  const channels = new ChannelDirectory(options.config, options.secrets, options.publicBaseUrl);
  const transports = [...(options.transports ?? [])];
  // The mail code reads Parley's tables and the e-mail ones with the same connection.
  const mailDb = options.db as Kysely<Database>;
  let mountWeb: ((app: FastifyInstance) => Promise<void>) | undefined;
  if (options.web) {
    const web = options.web;
    mountWeb = async (app) => {
      const { transport } = await webMessagingRoutes(app, {
        nc: options.nc,
        db: mailDb,
        channels: webChannelSettings(options.config),
        secret: web.secret,
        logger: options.logger.child({ component: 'web-messaging' }),
        registry: options.registry,
        options: { ...(options.publicBaseUrl !== undefined && { publicUrl: options.publicBaseUrl }), ...web.options },
      });
      transports.push(transport);
      if (web.tryPage) tryPageRoute(app);
    };
  }
  const server = await startWebhookServer({
    deps: { nc: options.nc, db, metrics, now, beforePublish: options.beforePublish },
    channels,
    metrics,
    logger: options.logger,
    publicBaseUrl: options.publicBaseUrl,
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.bodyLimitBytes !== undefined ? { bodyLimitBytes: options.bodyLimitBytes } : {}),
    ...(mountWeb ? { mount: mountWeb } : {}),
  });
  // Mail in (listener, pollers) stops first, then the webhook server, then the sender finishes what is in flight.
  const inbound: (() => Promise<void>)[] = [];
  let emailTransport: EmailTransport | undefined;
  let pollers: ImapPollers | undefined;
  let smtp: SmtpInbound | undefined;
  const closeInbound = async () => {
    for (const stop of inbound) await stop();
    await server.close();
  };
  try {
    if (options.email) {
      const emailChannels = new EmailChannels(options.config, options.secrets, options.email.attachmentBaseUrl);
      const mailDeps = { nc: options.nc, db: mailDb, logger: options.logger.child({ component: 'email' }) };
      emailTransport = createEmailTransport({ channel: (tenant, name) => emailChannels.resolve(tenant, name) }, { db: mailDb });
      transports.push(emailTransport);
      if (options.email.smtp) {
        const listener = await startSmtpInbound(options.email.smtp, () => emailChannels.listed(), mailDeps);
        smtp = listener;
        inbound.push(() => listener.close());
      }
      const started = imapPollers(options.config, emailChannels, mailDeps);
      pollers = started;
      inbound.push(() => started.close());
      await started.reconcile();
    }
  } catch (err) {
    await closeInbound();
    emailTransport?.close();
    throw err;
  }
  const sender = await startSender({
    nc: options.nc,
    db,
    channels,
    metrics,
    logger: options.logger,
    now,
    transports,
    ...(options.beforeSend ? { beforeSend: options.beforeSend } : {}),
    ...options.sender,
  });
  return {
    url: server.url,
    port: server.port,
    smtpPort: smtp?.port,
    configChanged: () => void pollers?.reconcile(),
    async close() {
      await closeInbound();
      await sender.stop();
      emailTransport?.close();
    },
  };
}
