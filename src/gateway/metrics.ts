import { Counter, Gauge, Histogram } from 'prom-client';
import type { Metric, Registry } from 'prom-client';

/** The gateway's Prometheus metrics. Labels never carry ids, only routes and codes. */
export interface GatewayMetrics {
  /** Requests answered, by method, route pattern and status. */
  httpRequests: Counter<'method' | 'route' | 'status'>;
  /** Time to answer, by method and route pattern. */
  httpDuration: Histogram<'method' | 'route'>;
  /** Commands sent to the router, by type and outcome (`ok`, an error code, or `invalid`). */
  commands: Counter<'type' | 'outcome'>;
  /** WebSocket event streams open now. */
  eventSockets: Gauge;
}

/**
 * Registers the gateway's metrics in `registry`, or returns the ones already there: two
 * gateways in one process (tests, `parley up`) share the global registry, and prom-client
 * refuses to register a name twice.
 */
export function gatewayMetrics(registry: Registry): GatewayMetrics {
  return {
    httpRequests: reuse(
      registry,
      'parley_gateway_http_requests_total',
      (name) =>
        new Counter({ name, help: 'HTTP requests answered by the gateway', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    ),
    httpDuration: reuse(
      registry,
      'parley_gateway_http_request_duration_seconds',
      (name) =>
        new Histogram({
          name,
          help: 'Time the gateway took to answer an HTTP request',
          labelNames: ['method', 'route'],
          // Commands wait for the router, so the tail reaches the command timeout (10 s).
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
          registers: [registry],
        }),
    ),
    commands: reuse(
      registry,
      'parley_gateway_commands_total',
      (name) =>
        new Counter({ name, help: 'Agent commands sent to the router, by outcome', labelNames: ['type', 'outcome'], registers: [registry] }),
    ),
    eventSockets: reuse(
      registry,
      'parley_gateway_event_sockets',
      (name) => new Gauge({ name, help: 'Agent event WebSockets open now', registers: [registry] }),
    ),
  };
}

function reuse<M extends Metric>(registry: Registry, name: string, create: (name: string) => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create(name);
}
