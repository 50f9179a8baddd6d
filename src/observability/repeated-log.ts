import type { Logger } from './log.ts';

/** How long repeats of a line are counted, by default, before one line sums them up. */
export const REPEAT_INTERVAL_MS = 10_000;

export interface RepeatedLogOptions {
  /** How long repeats of a line are counted before one line sums them up. @default REPEAT_INTERVAL_MS (10000) */
  intervalMs?: number;
}

/** A logger whose repeated warnings and errors are aggregated; `flush` writes the pending sums. */
export interface RepeatedLog extends Logger {
  flush(): void;
}

interface Window {
  level: 'warn' | 'error';
  msg: string;
  count: number;
  last: Record<string, unknown> | undefined;
  timer: NodeJS.Timeout;
}

/**
 * Wraps a logger so that a burst of the same warning or error (same message, same error
 * code) writes one line, not thousands: the first occurrence at once, then at most one
 * line per interval with `count` (occurrences in the interval) and the fields of the last
 * one. A quiet interval ends the burst; the next occurrence is written at once again.
 * Debug and info lines pass through. Metrics must count every event themselves.
 */
export function repeatedLog(log: Logger, options: RepeatedLogOptions = {}): RepeatedLog {
  const intervalMs = options.intervalMs ?? REPEAT_INTERVAL_MS;
  const windows = new Map<string, Window>();

  const open = (key: string, level: Window['level'], msg: string): void => {
    const timer = setTimeout(() => close(key), intervalMs);
    // A pending sum never keeps the process alive.
    timer.unref();
    windows.set(key, { level, msg, count: 0, last: undefined, timer });
  };
  const close = (key: string, reopen = true): void => {
    const window = windows.get(key);
    if (!window) return;
    clearTimeout(window.timer);
    windows.delete(key);
    if (window.count === 0) return;
    log[window.level](window.msg, { ...window.last, repeated: true, count: window.count, intervalMs });
    // Still going on: the next sum comes after another interval.
    if (reopen) open(key, window.level, window.msg);
  };
  const aggregate = (level: Window['level'], msg: string, fields?: Record<string, unknown>): void => {
    const key = `${level}\u0000${msg}\u0000${codeOf(fields)}`;
    const window = windows.get(key);
    if (window) {
      window.count++;
      window.last = fields;
      return;
    }
    log[level](msg, fields);
    open(key, level, msg);
  };

  return {
    debug: (msg, fields) => log.debug(msg, fields),
    info: (msg, fields) => log.info(msg, fields),
    warn: (msg, fields) => aggregate('warn', msg, fields),
    error: (msg, fields) => aggregate('error', msg, fields),
    child: (fields) => repeatedLog(log.child(fields), options),
    flush: () => {
      for (const key of [...windows.keys()]) close(key, false);
    },
  };
}

/** What makes two failures "the same": the error's code (ParleyError, Node system errors) or class. */
function codeOf(fields: Record<string, unknown> | undefined): string {
  const err = fields?.err ?? fields?.error;
  if (!(err instanceof Error)) return '';
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : err.name;
}
