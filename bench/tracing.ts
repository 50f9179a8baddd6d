import { headers as natsHeaders } from '@nats-io/transport-node';
import { contextOfHeaders, inInternalSpan, inMessagingSpan, traceCarrier, withTraceHeaders } from '../src/bus/index.ts';

/**
 * What tracing costs one message on the router's path, in memory: extract the context
 * from the message's headers, a CONSUMER span around the handling, an actor-step span
 * inside, the trace context captured for the outbox, and headers for the publish that
 * follows. Measured three ways in one run: the bare handling (baseline), the same with
 * tracing off (no SDK: what every router pays) and with tracing on (the SDK, a batch
 * processor and an exporter that drops the spans: the SDK's own cost, no network).
 */
const MESSAGES = Math.round(200_000 * Number(process.env.BENCH_SCALE ?? 1));
const subject = 'parley.v1.inbound.bench.whatsapp';

// The handling itself stands for a step whose cost is elsewhere (the database): one resolved promise.
const handle = (n: number) => Promise.resolve(n + 1);

async function bare(): Promise<number> {
  let sum = 0;
  for (let i = 0; i < MESSAGES; i++) sum += await handle(i);
  return sum;
}

async function traced(): Promise<number> {
  const incoming = natsHeaders();
  incoming.set('traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
  let sum = 0;
  for (let i = 0; i < MESSAGES; i++) {
    sum += await inMessagingSpan({ operation: 'process', subject, parent: contextOfHeaders(incoming), consumerGroup: 'bench', bodySize: 200 }, () =>
      inInternalSpan('step conversation', { 'parley.event': 'customer.message' }, async () => {
        traceCarrier();
        withTraceHeaders();
        return handle(i);
      }),
    );
  }
  return sum;
}

async function rate(run: () => Promise<number>): Promise<{ perSecond: number; microsPerMessage: number }> {
  await run(); // warm-up
  const started = performance.now();
  await run();
  const ms = performance.now() - started;
  return { perSecond: Math.round((MESSAGES / ms) * 1000), microsPerMessage: Number(((ms * 1000) / MESSAGES).toFixed(3)) };
}

export async function runTracingBenchmark() {
  const baseline = await rate(bare);
  const off = await rate(traced);
  const [{ NodeSDK }, { BatchSpanProcessor }] = await Promise.all([import('@opentelemetry/sdk-node'), import('@opentelemetry/sdk-trace')]);
  const drop = { export: (_spans: unknown, done: (r: { code: number }) => void) => done({ code: 0 }), shutdown: () => Promise.resolve() };
  const sdk = new NodeSDK({ serviceName: 'bench', spanProcessors: [new BatchSpanProcessor({ exporter: drop, maxQueueSize: 100_000 })], instrumentations: [], logRecordProcessors: [] });
  sdk.start();
  const on = await rate(traced);
  await sdk.shutdown();
  const extra = (r: { microsPerMessage: number }) => Number((r.microsPerMessage - baseline.microsPerMessage).toFixed(3));
  return {
    benchmark: 'tracing',
    messages: MESSAGES,
    tracingOff: { ...off, extraMicrosPerMessage: extra(off) },
    tracingOn: { ...on, extraMicrosPerMessage: extra(on) },
    baseline,
  };
}
