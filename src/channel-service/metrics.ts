import { Counter, Histogram, type Registry } from 'prom-client';

/** The channels role's metrics (docs/metrics.md, "Channels"). */
export interface ChannelMetrics {
  /** Webhooks by provider type and outcome: published, duplicate-free, unauthorized, unmappable, unknown-channel, too-large, error. */
  webhooks: Counter<'type' | 'outcome'>;
  /** Webhooks refused for a bad or missing signature. */
  signatureFailures: Counter<'type'>;
  /** Outbound messages by type and outcome: sent, failed, refused, retried. */
  sends: Counter<'type' | 'outcome'>;
  /** Provider calls made again after a crash left their outcome unknown (at most one per message). */
  resends: Counter<'type'>;
  /** Seconds waited for the shared pace before a provider call. */
  pacingWait: Histogram<'type'>;
}

const cache = new WeakMap<Registry, ChannelMetrics>();

export function channelMetrics(registry: Registry): ChannelMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const metrics: ChannelMetrics = {
    webhooks: new Counter({ name: 'parley_channel_webhooks_total', help: 'Provider webhooks received, by channel type and outcome.', labelNames: ['type', 'outcome'], registers: [registry] }),
    signatureFailures: new Counter({ name: 'parley_channel_signature_failures_total', help: 'Provider webhooks refused for a bad or missing signature.', labelNames: ['type'], registers: [registry] }),
    sends: new Counter({ name: 'parley_channel_sends_total', help: 'Outbound messages handled, by channel type and outcome (sent, failed, refused, retried).', labelNames: ['type', 'outcome'], registers: [registry] }),
    resends: new Counter({ name: 'parley_channel_resends_total', help: 'Provider calls made again because a crash left the previous attempt\'s outcome unknown.', labelNames: ['type'], registers: [registry] }),
    pacingWait: new Histogram({
      name: 'parley_channel_pacing_wait_seconds',
      help: 'Time waited for the shared send pace before a provider call.',
      labelNames: ['type'],
      buckets: [0, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    }),
  };
  cache.set(registry, metrics);
  return metrics;
}
