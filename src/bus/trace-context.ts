import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Attributes, type Context, type Span, type TextMapGetter } from '@opentelemetry/api';
import { Match, headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';

/**
 * W3C trace context over NATS: `traceparent` and `tracestate` headers on what Parley
 * publishes, read back where it consumes, and the PRODUCER / CONSUMER spans of the
 * messaging semantic conventions around both. With tracing off (no SDK started) the
 * propagator injects nothing and no header is added.
 */

const tracer = trace.getTracer('parley');

/** Header names are case-insensitive for us: a gateway may well send `Traceparent`. */
const fromHeaders: TextMapGetter<MsgHdrs | undefined> = {
  keys: (h) => (h ? h.keys() : []),
  get: (h, key) => h?.get(key, Match.IgnoreCase) || undefined,
};

/** The trace context to carry (`traceparent`, `tracestate`); empty when there is none or tracing is off. */
export function traceCarrier(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** Adds the active trace context to NATS headers (made when there are none); unchanged when there is nothing to carry. */
export function withTraceHeaders(into?: MsgHdrs, ctx: Context = context.active()): MsgHdrs | undefined {
  const carrier = Object.entries(traceCarrier(ctx));
  if (carrier.length === 0) return into;
  const h = into ?? natsHeaders();
  for (const [key, value] of carrier) h.set(key, value);
  return h;
}

/** The context a message's headers carry (the root context when they carry none). */
export function contextOfHeaders(h: MsgHdrs | undefined): Context {
  return propagation.extract(ROOT_CONTEXT, h, fromHeaders);
}

/** The context a stored carrier (see `traceCarrier`) holds. */
export function contextOfCarrier(carrier: Record<string, string> | null | undefined): Context {
  return carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
}

/**
 * A subject with its variable tokens named, for span names (`publish
 * parley.v1.outbound.{tenant}.{channel}`): the conventions want low cardinality there;
 * the subject itself is the `messaging.destination.name` attribute.
 */
export function subjectTemplate(subject: string): string {
  const p = subject.split('.');
  if (p[0] !== 'parley' || p[1] !== 'v1') return subject;
  switch (p[2]) {
    case 'inbound':
    case 'receipts':
    case 'outbound':
      return `parley.v1.${p[2]}.{tenant}.{channel}`;
    case 'agent':
      return `parley.v1.agent.${p[3]}.{tenant}.{agentId}`;
    case 'cluster':
      return p[3] === 'partition' ? `parley.v1.cluster.partition.{partition}.${p[5]}` : subject;
    default:
      return subject;
  }
}

export type MessagingOperation = 'publish' | 'request' | 'process';

export interface MessagingSpan {
  operation: MessagingOperation;
  subject: string;
  /** The context the span continues. @default the active one */
  parent?: Context;
  msgId?: string;
  /** The durable consumer (for `process`). */
  consumerGroup?: string;
  bodySize?: number;
}

/**
 * Runs `fn` in a messaging span (PRODUCER for publish/request, CONSUMER for process),
 * named `<operation> <subject template>`; an error thrown (or a promise rejected) marks
 * it failed. The span ends when `fn` returns, or when its promise settles.
 */
export function inMessagingSpan<T>(spec: MessagingSpan, fn: (span: Span) => T): T {
  const attributes: Attributes = {
    'messaging.system': 'nats',
    'messaging.operation.name': spec.operation,
    'messaging.operation.type': spec.operation === 'process' ? 'process' : 'send',
    'messaging.destination.name': spec.subject,
    'messaging.destination.template': subjectTemplate(spec.subject),
    ...(spec.msgId !== undefined && { 'messaging.message.id': spec.msgId }),
    ...(spec.consumerGroup !== undefined && { 'messaging.consumer.group.name': spec.consumerGroup }),
    ...(spec.bodySize !== undefined && { 'messaging.message.body.size': spec.bodySize }),
  };
  const kind = spec.operation === 'process' ? SpanKind.CONSUMER : SpanKind.PRODUCER;
  return inSpan(`${spec.operation} ${subjectTemplate(spec.subject)}`, { kind, attributes }, spec.parent ?? context.active(), fn);
}

/** Runs `fn` in an internal span (an actor step, say) under the active context. */
export function inInternalSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => T): T {
  return inSpan(name, { kind: SpanKind.INTERNAL, attributes }, context.active(), fn);
}

function inSpan<T>(name: string, options: { kind: SpanKind; attributes: Attributes }, parent: Context, fn: (span: Span) => T): T {
  return tracer.startActiveSpan(name, options, parent, (span) => {
    let result: T;
    try {
      result = fn(span);
    } catch (err) {
      failed(span, err);
      span.end();
      throw err;
    }
    if (!(result instanceof Promise)) {
      span.end();
      return result;
    }
    return result.then(
      (value: unknown) => {
        span.end();
        return value;
      },
      (err: unknown) => {
        failed(span, err);
        span.end();
        throw err;
      },
    ) as T;
  });
}

function failed(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}
