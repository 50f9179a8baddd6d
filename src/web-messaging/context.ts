import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { FastifyRequest } from 'fastify';
import type { WebMessagingDeps, ResolvedWebOptions } from './options.ts';
import { resolveWebOptions } from './options.ts';
import { SessionLimiter } from './session-limiter.ts';
import type { WebChannelSettings } from './channel-settings.ts';
import { originAllowed } from './channel-settings.ts';
import { WebProblem } from './problems.ts';
import { webMetrics, type WebMetrics } from './web-metrics.ts';

/** The routes' shared state, built once per mount. */
export interface WebContext extends Omit<WebMessagingDeps, 'options'> {
  js: JetStreamClient;
  opts: ResolvedWebOptions;
  /** Messages, postbacks and uploads per session. */
  sends: SessionLimiter;
  typing: SessionLimiter;
  /** History reads per session. */
  reads: SessionLimiter;
  metrics: WebMetrics;
}

export function webContext(deps: WebMessagingDeps): WebContext {
  if (deps.secret.length < 32) throw new RangeError('the web messaging secret must be at least 32 bytes');
  const opts = resolveWebOptions(deps.options);
  return {
    ...deps,
    js: jetstream(deps.nc),
    opts,
    sends: new SessionLimiter(opts.messagesPerWindow, opts.rateWindowMs),
    typing: new SessionLimiter(opts.typingPerWindow, opts.rateWindowMs),
    reads: new SessionLimiter(opts.messagesPerWindow, opts.rateWindowMs),
    metrics: webMetrics(deps.registry),
  };
}

/** The Channel's settings, after checking it is a web Channel and the request's Origin may use it. */
export function channelFor(ctx: WebContext, request: FastifyRequest, tenant: string, channel: string): WebChannelSettings {
  const settings = ctx.channels(tenant, channel);
  if (!settings) throw new WebProblem('unknownChannel');
  if (!originAllowed(settings, request.headers.origin)) throw new WebProblem('forbidden', `origin ${request.headers.origin ?? ''} is not allowed for this channel`);
  return settings;
}

/** Where attachment links point: the configured public URL, else this request's scheme and host. */
export function baseUrlOf(ctx: WebContext, request: FastifyRequest): string {
  return ctx.opts.publicUrl ?? `${request.protocol}://${request.host}`;
}
