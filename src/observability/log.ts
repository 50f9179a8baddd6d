import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

/**
 * JSON logs on pino, one object per line, written asynchronously. Never pass message
 * bodies or customer identifiers: log ids (conversation, agent, message) and codes
 * instead. The redaction below is the safety net for the day someone does.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  /** Lowest level written. @default `PARLEY_LOG_LEVEL`, else "info" */
  level?: Level;
  /** Takes each line (without its newline) synchronously instead of stdout; for tests. @default asynchronous stdout */
  write?: (line: string) => void;
}

/**
 * Field names whose values are replaced by `[redacted]`, at the top level and one level
 * down (`envelope.text`, `req.headers.authorization`): message content, customer
 * identifiers and contact details, credentials.
 */
export const REDACTED_FIELDS = [
  'text',
  'body',
  'content',
  'attachments',
  'customer',
  'customerName',
  'from',
  'externalId',
  'phone',
  'email',
  'authorization',
  'cookie',
  'password',
  'secret',
  'clientSecret',
  'token',
  'apiKey',
] as const;

const redactPaths = [...REDACTED_FIELDS, 'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie'];
const redactedFields = new Set<string>(REDACTED_FIELDS);
const CENSOR = '[redacted]';

/**
 * One level down (`envelope.text`). Pino's wildcard paths (`*.text`) would do it at about
 * 11 µs a line, most of the cost of a line; this copies only an object that holds such a
 * field, and costs a look at each key otherwise.
 */
function redactNested(line: Record<string, unknown>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(line)) {
    const value = line[key];
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Error) continue;
    let inner: Record<string, unknown> | undefined;
    for (const field of Object.keys(value)) {
      if (!redactedFields.has(field)) continue;
      inner ??= { ...(value as Record<string, unknown>) };
      inner[field] = CENSOR;
    }
    if (inner) (copy ??= { ...line })[key] = inner;
  }
  return copy ?? line;
}

const errorSerializer = pino.stdSerializers.errWithCause;

const pinos = new WeakMap<Logger, PinoLogger>();
let stdout: DestinationStream & { flushSync?(): void } | undefined;

/** Every logger of the process shares one asynchronous stdout (flushed on exit by pino, and by `flushLogs`). */
function stdoutDestination(): DestinationStream {
  // Asynchronous, but not held back: a quiet process writes its few lines at once.
  stdout ??= pino.destination({ dest: 1, sync: false });
  return stdout;
}

/** The active span's ids on every line written inside one (nothing when tracing is off). */
function traceIds(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const ids = span.spanContext();
  return isSpanContextValid(ids) ? { trace_id: ids.traceId, span_id: ids.spanId } : {};
}

export function createLogger(base: Record<string, unknown> = {}, options: LoggerOptions = {}): Logger {
  const wanted = options.level ?? process.env.PARLEY_LOG_LEVEL?.trim().toLowerCase();
  // An unknown PARLEY_LOG_LEVEL is no reason not to start (pino would throw).
  const level = wanted && wanted in pino.levels.values ? wanted : 'info';
  const write = options.write;
  const destination: DestinationStream = write ? { write: (line: string) => write(line.endsWith('\n') ? line.slice(0, -1) : line) } : stdoutDestination();
  const root = pino(
    {
      level,
      base,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: redactNested },
      serializers: { err: errorSerializer, error: errorSerializer, cause: errorSerializer },
      redact: { paths: redactPaths, censor: CENSOR },
      mixin: traceIds,
    },
    destination,
  );
  return wrap(root);
}

function wrap(p: PinoLogger): Logger {
  const logger: Logger = {
    debug: (msg, fields) => p.debug(fields ?? {}, msg),
    info: (msg, fields) => p.info(fields ?? {}, msg),
    warn: (msg, fields) => p.warn(fields ?? {}, msg),
    error: (msg, fields) => p.error(fields ?? {}, msg),
    child: (fields) => wrap(p.child(fields)),
  };
  pinos.set(logger, p);
  return logger;
}

/** The pino instance behind a logger of `createLogger` (for fastify's `loggerInstance`). */
export function pinoOf(logger: Logger): PinoLogger | undefined {
  return pinos.get(logger);
}

/** Writes out what the asynchronous stdout still holds; before the process exits. */
export function flushLogs(): void {
  try {
    stdout?.flushSync?.();
  } catch {
    // Not open yet (nothing written) or stdout gone: nothing more can be written anyway.
  }
}
