/** What a process needs at start, named as an operator would look for it. */
export const Dependencies = ['NATS', 'PostgreSQL', 'Kubernetes API', 'configuration folder'] as const;
export type Dependency = (typeof Dependencies)[number];

/**
 * A dependency the process could not use at start: which one, where (credentials
 * removed), what was being done and why it failed. `parley` prints it as one line, then
 * the chain of causes.
 */
export class DependencyError extends Error {
  override readonly name = 'DependencyError';

  constructor(
    readonly dependency: Dependency,
    /** URL, host:port, file or folder; never with a password or token. */
    readonly address: string,
    /** What failed, e.g. "cannot connect". */
    action: string,
    options: { cause?: unknown } = {},
  ) {
    super(`${dependency} at ${address}: ${action}${reason(options.cause)}`, options);
  }
}

/** `: <the cause's message>`, or nothing when there is none to tell. */
function reason(cause: unknown): string {
  if (cause === undefined) return '';
  const message = cause instanceof Error ? cause.message || codeOf(cause) || cause.name : JSON.stringify(cause);
  return message ? `: ${message}` : '';
}

function codeOf(err: Error): string | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * A URL (or comma-separated URLs) fit for a log line or an error message: passwords,
 * tokens and query strings (which may carry `password=`/`sslkey=`) are replaced by `***`.
 */
export function redactUrl(url: string): string {
  return url
    .split(',')
    .map((one) => {
      const trimmed = one.trim();
      let parsed: URL;
      try {
        parsed = new URL(trimmed);
      } catch {
        // `pglite:<dir>` and bare `host:port` carry no credentials; anything else with an `@` may.
        return trimmed.includes('@') ? trimmed.replace(/\/\/[^@/]*@/, '//***@') : trimmed;
      }
      if (parsed.password) parsed.password = '***';
      else if (parsed.username && parsed.protocol.startsWith('nats')) parsed.username = '***'; // a NATS token sits in the user part
      if (parsed.search) parsed.search = '?***';
      return parsed.toString().replace('%2A%2A%2A', '***');
    })
    .join(',');
}

/** The causes below an error, outermost first, each message once (they often repeat the one above). */
export function causeChain(err: unknown): string[] {
  const lines: string[] = [];
  let seen = err instanceof Error ? err.message : String(err);
  for (let cause = (err as { cause?: unknown } | undefined)?.cause, depth = 0; cause !== undefined && depth < 5; depth++) {
    const message = cause instanceof Error ? `${cause.name}: ${cause.message || codeOf(cause) || ''}` : JSON.stringify(cause);
    const bare = cause instanceof Error ? cause.message : message;
    if (!seen.includes(bare) || bare === '') lines.push(message);
    seen += bare;
    cause = (cause as { cause?: unknown }).cause;
  }
  return lines;
}
