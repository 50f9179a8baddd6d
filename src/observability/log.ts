/**
 * JSON logs, one object per line. Never pass message bodies or customer identifiers:
 * log ids (conversation, agent, message) and codes instead.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function createLogger(
  base: Record<string, unknown> = {},
  options: { level?: Level; write?: (line: string) => void } = {},
): Logger {
  const min = order[options.level ?? ((process.env.PARLEY_LOG_LEVEL as Level | undefined) ?? 'info')] ?? order.info;
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const log = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (order[level] < min) return;
    write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...fields }, errorReplacer));
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (fields) => createLogger({ ...base, ...fields }, options),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, ...(value.cause !== undefined && { cause: errorReplacer('cause', value.cause) }) };
  }
  return value;
}
