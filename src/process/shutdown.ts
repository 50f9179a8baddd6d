import { flushLogs, stopTracing, type Logger } from '../observability/index.ts';

/**
 * Runs `stop` once on SIGTERM or SIGINT (Kubernetes sends SIGTERM), then exports the
 * spans still buffered, writes out the logs still buffered and exits. A second signal
 * while stopping exits at once.
 */
export function onShutdown(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const exit = async (code: number) => {
    await stopTracing().catch((err: unknown) => log.warn('trace export failed', { err }));
    flushLogs();
    process.exit(code);
  };
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      flushLogs();
      process.exit(1);
    }
    stopping = true;
    log.info('stopping', { signal });
    stop().then(
      () => exit(0),
      (err: unknown) => {
        log.error('stop failed', { err });
        return exit(1);
      },
    );
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}
