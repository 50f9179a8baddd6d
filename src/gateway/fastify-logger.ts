import type { FastifyBaseLogger } from 'fastify';
import type { Logger } from '../observability/index.ts';

type Write = (msg: string, fields?: Record<string, unknown>) => void;

/**
 * Lets fastify log through Parley's `Logger`, so the gateway writes the same JSON lines as
 * every other component (and follows it wherever that logger goes). Fastify calls loggers
 * pino-style: `(fields, msg)` or `(msg)`; `child()` carries the request id.
 */
export function fastifyLogger(logger: Logger): FastifyBaseLogger {
  const call =
    (write: Write) =>
    (first: unknown, second?: unknown): void => {
      if (typeof first === 'string') return write(first);
      if (first instanceof Error) return write(typeof second === 'string' ? second : first.message, { error: first });
      write(typeof second === 'string' ? second : '', typeof first === 'object' && first !== null ? plain(first as Record<string, unknown>) : undefined);
    };
  const adapter: FastifyBaseLogger = {
    level: 'info',
    // Called through the logger, never detached: an implementation may rely on `this`.
    fatal: call((m, f) => logger.error(m, f)),
    error: call((m, f) => logger.error(m, f)),
    warn: call((m, f) => logger.warn(m, f)),
    info: call((m, f) => logger.info(m, f)),
    debug: call((m, f) => logger.debug(m, f)),
    trace: call((m, f) => logger.debug(m, f)),
    silent: () => undefined,
    child: (bindings: Record<string, unknown>) => fastifyLogger(logger.child(bindings)),
  };
  return adapter;
}

// Fastify passes whole request and response objects, which pino would serialize: keep what
// identifies the request, never headers (tokens) or bodies.
function plain(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (key === 'req' || key === 'res') continue;
    out[key === 'err' ? 'error' : key] = value;
  }
  return out;
}
