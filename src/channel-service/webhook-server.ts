import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { ResourceName, TenantName } from '../contract/index.ts';
import type { Logger } from '../observability/index.ts';
import type { ChannelDirectory } from './channel-directory.ts';
import type { ChannelMetrics } from './metrics.ts';
import type { ResolvedChannel } from './resolve-channel.ts';
import { handleWebhook, type WebhookDeps } from './webhook-handler.ts';

export interface WebhookServerOptions {
  readonly deps: WebhookDeps;
  readonly channels: ChannelDirectory;
  readonly metrics: ChannelMetrics;
  readonly logger: Logger;
  /** The URL providers call (scheme and host, no path): Twilio signs it. @default the request's Host, over http */
  readonly publicBaseUrl: string | undefined;
  /** @default 8081 */
  readonly port?: number;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** Largest webhook body, bytes; larger ones get 413. @default 1048576 */
  readonly bodyLimitBytes?: number;
  /** More routes on the same server before it listens (web messaging). */
  readonly mount?: (app: FastifyInstance) => Promise<void>;
}

export interface WebhookServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const twilioEmptyAnswer = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/**
 * The providers' side of the channels role: `POST /webhooks/<tenant>/<channel>` (signed
 * webhooks, raw body kept for the signature) and `GET` on the same URL (Meta's verify
 * handshake, X's CRC check). The caller is authenticated as the Channel's provider by the
 * signature made with that Channel's secret: a webhook signed for another tenant's Channel
 * is refused.
 */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const { logger, metrics } = options;
  const app: FastifyInstance = Fastify({
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: options.bodyLimitBytes ?? 1024 * 1024,
    exposeHeadRoutes: false,
    forceCloseConnections: 'idle',
  });
  // Every body is kept as raw bytes: the signatures cover exactly these.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched');
    if (reply.statusCode === 413 && request.url.startsWith('/webhooks/')) metrics.webhooks.inc({ type: 'unknown', outcome: 'too-large' });
    logger.info('request', { requestId: request.id, method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 });
    done();
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 503;
    if (status >= 500) logger.error('webhook failed', { requestId: request.id, err });
    void reply.code(status).type('text/plain').send(status === 413 ? 'body too large' : status >= 500 ? 'try again later' : err.message);
  });

  const findChannel = async (params: unknown): Promise<ResolvedChannel | undefined> => {
    const { tenant, channel } = params as { tenant: string; channel: string };
    if (!TenantName.safeParse(tenant).success || !ResourceName.safeParse(channel).success) return undefined;
    const config = options.channels.configOf(tenant, channel);
    if (!config?.provider) return undefined;
    return options.channels.resolve(config);
  };
  const publicUrl = (path: string, host: string | undefined) => `${(options.publicBaseUrl ?? `http://${host ?? 'localhost'}`).replace(/\/+$/, '')}${path}`;

  app.post('/webhooks/:tenant/:channel', async (request, reply) => {
    const channel = await findChannel(request.params);
    if (!channel) {
      metrics.webhooks.inc({ type: 'unknown', outcome: 'unknown-channel' });
      return reply.code(404).type('text/plain').send('no such channel');
    }
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const outcome = await handleWebhook(options.deps, channel, { raw, headers: request.headers, url: publicUrl(request.url, request.headers.host) });
    if (outcome.status === 401) {
      logger.warn('webhook refused', { requestId: request.id, tenant: channel.tenant, channel: channel.name, reason: outcome.reason });
      return reply.code(401).type('text/plain').send('bad or missing signature');
    }
    if (channel.provider.type === 'sms' && request.headers['x-twilio-signature']) return reply.code(200).type('text/xml').send(twilioEmptyAnswer);
    return reply.code(200).type('text/plain').send('ok');
  });

  app.get('/webhooks/:tenant/:channel', async (request, reply) => {
    const channel = await findChannel(request.params);
    if (!channel?.get) return reply.code(404).type('text/plain').send('no such channel');
    const query = new URLSearchParams(request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '');
    const answer = channel.get(query);
    if (answer.status !== 200) metrics.webhooks.inc({ type: channel.provider.type, outcome: 'handshake-refused' });
    return reply.code(answer.status).type(answer.contentType).send(answer.body);
  });

  await options.mount?.(app);
  await app.listen({ port: options.port ?? 8081, host: options.host ?? '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const host = (options.host ?? '127.0.0.1').includes(':') ? `[${options.host}]` : (options.host ?? '127.0.0.1');
  return { url: `http://${host}:${port}`, port, close: () => app.close() };
}
