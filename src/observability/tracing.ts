import { register } from 'node:module';

/** Modules whose official instrumentations Parley loads; only these go through the ESM hook. */
const INSTRUMENTED_MODULES = ['pg', 'pg-pool', 'http', 'https'];

let started: { shutdown(): Promise<void> } | undefined;

/** True when an OTLP endpoint is configured: tracing is off without one. */
export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()) && env.OTEL_SDK_DISABLED !== 'true';
}

/**
 * Starts OpenTelemetry tracing for a process role when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set; otherwise does nothing and loads nothing.
 * Spans go over OTLP (http/protobuf unless `OTEL_EXPORTER_OTLP_PROTOCOL` says
 * `http/json`), the service is `OTEL_SERVICE_NAME` or `parley-<role>`, and the pg and
 * http instrumentations make the database and HTTP spans.
 *
 * Must run before `pg` or `node:http` are imported: Parley is ESM, and an ES module is
 * patched only by a loader hook (import-in-the-middle, registered here with
 * `module.register`) present when it is loaded. `bin/parley.js` calls it first thing.
 */
export async function startTracing(role: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (started) return true;
  if (!tracingConfigured(env)) return false;
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include: INSTRUMENTED_MODULES } });
  // Loaded only when tracing is on: the SDK is large and a process without it stays lean.
  const [{ NodeSDK }, { HttpInstrumentation }, { PgInstrumentation }, protoExporter, jsonExporter] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/exporter-trace-otlp-proto'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  const traceExporter = protocol === 'http/json' ? new jsonExporter.OTLPTraceExporter() : new protoExporter.OTLPTraceExporter();
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME?.trim() || `parley-${role}`,
    traceExporter,
    instrumentations: [
      // Probes and scrapes are not worth a trace each.
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => /^\/(metrics|healthz|readyz)\b/.test(req.url ?? '') }),
      new PgInstrumentation({ requireParentSpan: true }),
    ],
    // Traces only: metrics are Prometheus', logs go to stdout.
    logRecordProcessors: [],
  });
  sdk.start();
  started = sdk;
  return true;
}

/** Exports the spans still buffered and stops tracing (on shutdown); nothing when it is off. */
export async function stopTracing(): Promise<void> {
  const sdk = started;
  started = undefined;
  await sdk?.shutdown();
}
