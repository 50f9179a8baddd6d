import { flushLogs, stopTracing, type Logger } from '../observability/index.ts';

/**
 * A signal repeated this soon is the same Ctrl-C delivered twice — to the whole process
 * group by the terminal, and again by a parent that forwards signals (npm, npx, tsx, a
 * supervisor) — not a user insisting.
 */
const SAME_SIGNAL_MS = 1_000;

export interface Shutdown {
  /** Stops as on a signal, then exits with 1: for a fatal error found while running. */
  fail(reason: string, err?: unknown): void;
}

/**
 * Runs `stop` once on SIGTERM or SIGINT (Kubernetes sends SIGTERM, Ctrl-C SIGINT), exports
 * the spans and writes out the logs still buffered, then exits 0. A second signal while stopping exits at once with 1 — unless it came within
 * a second of the first (see SAME_SIGNAL_MS). Work that must happen even then (removing
 * a state file, stopping a child process) belongs in a `process.on('exit')` handler.
 */
export function onShutdown(log: Logger, stop: () => Promise<void>): Shutdown {
  let stoppingSince: number | undefined;
  const exit = async (code: number) => {
    await stopTracing().catch((err: unknown) => log.warn('trace export failed', { err }));
    flushLogs();
    process.exit(code);
  };
  const begin = (fields: Record<string, unknown>, code: number) => {
    stoppingSince = performance.now();
    log[code === 0 ? 'info' : 'error']('stopping', fields);
    stop().then(
      () => exit(code),
      (err: unknown) => {
        log.error('stop failed', { err });
        return exit(1);
      },
    );
  };
  const handler = (signal: NodeJS.Signals) => {
    if (stoppingSince === undefined) return begin({ signal }, 0);
    if (performance.now() - stoppingSince < SAME_SIGNAL_MS) return;
    log.warn('stopping at once', { signal });
    flushLogs();
    process.exit(1);
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  // npx (npm exec) exits on SIGTERM without passing it on: the child sees its parent go.
  if (process.env.npm_execpath) onParentGone(() => handler('SIGTERM'));
  return {
    fail(reason, err) {
      if (stoppingSince === undefined) begin({ reason, err }, 1);
    },
  };
}

/** Calls `gone` once when this process's parent exits (it is then adopted by another). */
function onParentGone(gone: () => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    gone();
  }, 500);
  timer.unref();
}
