import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/**
 * Last-resort cleanup for when a test file never calls stop() (a failing
 * beforeAll, a crash) and for store dirs kept for restarts. Vitest ends fork
 * workers with SIGTERM, whose default action skips 'exit' handlers, so we also
 * catch the usual termination signals, clean up, and re-raise the signal.
 * Everything here must be synchronous, hence kill() and rmSync().
 */
const children = new Set<ChildProcess>();
const dirs = new Set<string>();
let installed = false;

function cleanupNow(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', cleanupNow);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanupNow();
      // Our listener is gone now; with no others left, the default action
      // (terminate) applies. Vitest forbids process.exit() in workers.
      process.kill(process.pid, signal);
    });
  }
}

/** Kill `child` when this process exits, unless it has been untracked. */
export function trackChild(child: ChildProcess): () => void {
  install();
  children.add(child);
  return () => children.delete(child);
}

/** Remove `dir` when this process exits. */
export function trackDir(dir: string): () => void {
  install();
  dirs.add(dir);
  return () => dirs.delete(dir);
}
