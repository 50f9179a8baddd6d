import { Counter, Gauge, Registry } from 'prom-client';
import type { Metric } from 'prom-client';

/** Web messaging's Prometheus metrics. Labels never carry tenants' customers, only outcomes. */
export interface WebMetrics {
  /** Sessions opened (`new`) or resumed with a token (`resumed`). */
  sessions: Counter<'kind'>;
  /** Customer messages and clicks, by result: `published`, `duplicate`, `refused` (invalid, rate limited), `failed` (JetStream did not answer). */
  messages: Counter<'result'>;
  /** Requests and sockets refused for a missing, bad or expired token. */
  authFailures: Counter;
  /** Customer sockets open now on this process. */
  sockets: Gauge;
}

/** Registers the metrics in `registry` (or reuses them: two mounts in one process share a registry). */
export function webMetrics(registry: Registry = new Registry()): WebMetrics {
  return {
    sessions: reuse(registry, 'parley_web_sessions_total', (name) => new Counter({ name, help: 'Web messaging sessions opened or resumed', labelNames: ['kind'], registers: [registry] })),
    messages: reuse(registry, 'parley_web_messages_total', (name) => new Counter({ name, help: 'Web messaging customer messages, by result', labelNames: ['result'], registers: [registry] })),
    authFailures: reuse(registry, 'parley_web_auth_failures_total', (name) => new Counter({ name, help: 'Web messaging requests refused for a bad session token', registers: [registry] })),
    sockets: reuse(registry, 'parley_web_sockets', (name) => new Gauge({ name, help: 'Web messaging customer sockets open', registers: [registry] })),
  };
}

function reuse<M extends Metric>(registry: Registry, name: string, create: (name: string) => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create(name);
}
