import type { FastifyBaseLogger } from 'fastify';
import type { Logger } from '../observability/index.ts';

type Fields = Record<string, unknown>;

/**
 * Lets fastify log through Parley's `Logger`, so the gateway writes the same JSON lines as
 * every other component (and follows it wherever that logger goes). Fastify calls loggers
 * pino-style: `(fields, msg)` or `(msg)`.
 *
 * Fastify makes a child logger for every request (to carry its id). Here a child is one
 * small object that remembers its bindings and adds them to the lines it writes: building
 * a `Logger` child per request, most of which log nothing, cost more than the rest of the
 * request's edge.
 */
class FastifyLoggerAdapter {
  readonly level = 'info';
  readonly #logger: Logger;
  readonly #bindings: Fields;

  constructor(logger: Logger, bindings: Fields) {
    this.#logger = logger;
    this.#bindings = bindings;
  }

  fatal(first: unknown, second?: unknown): void {
    this.#logger.error(...this.#line(first, second));
  }
  error(first: unknown, second?: unknown): void {
    this.#logger.error(...this.#line(first, second));
  }
  warn(first: unknown, second?: unknown): void {
    this.#logger.warn(...this.#line(first, second));
  }
  info(first: unknown, second?: unknown): void {
    this.#logger.info(...this.#line(first, second));
  }
  debug(first: unknown, second?: unknown): void {
    this.#logger.debug(...this.#line(first, second));
  }
  trace(first: unknown, second?: unknown): void {
    this.#logger.debug(...this.#line(first, second));
  }
  silent(): void {}

  child(bindings: Fields): FastifyLoggerAdapter {
    return new FastifyLoggerAdapter(this.#logger, { ...this.#bindings, ...bindings });
  }

  #line(first: unknown, second: unknown): [string, Fields] {
    if (typeof first === 'string') return [first, this.#bindings];
    const msg = typeof second === 'string' ? second : '';
    if (first instanceof Error) return [msg || first.message, { ...this.#bindings, error: first }];
    if (typeof first !== 'object' || first === null) return [msg, this.#bindings];
    const fields: Fields = { ...this.#bindings };
    for (const [key, value] of Object.entries(first)) {
      // Fastify passes whole request and response objects, which pino would serialize:
      // never headers (tokens) or bodies here.
      if (key === 'req' || key === 'res') continue;
      fields[key === 'err' ? 'error' : key] = value;
    }
    return [msg, fields];
  }
}

export function fastifyLogger(logger: Logger): FastifyBaseLogger {
  return new FastifyLoggerAdapter(logger, {});
}
