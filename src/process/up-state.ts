import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What `parley up` tells other commands on the same machine (`parley demo`, `parley
 * token`, `parley repartition`), in `<data>/up.json` (mode 0600), written once it is
 * ready and removed when it stops.
 */
export interface UpState {
  /** The gateway's base URL, e.g. `http://127.0.0.1:8080`. */
  gatewayUrl: string;
  /** The NATS server it uses (its embedded nats-server's, or NATS_URL). */
  natsUrl: string;
  /** The HS256 secret that signs gateway tokens. */
  authSecret: string;
  /** The process id of `parley up`: a file whose process is gone is stale. */
  pid: number;
}

export const upStateFile = (dataDir: string) => join(dataDir, 'up.json');

export async function writeUpState(dataDir: string, state: UpState): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await writeFile(upStateFile(dataDir), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
}

export class NotRunningError extends Error {
  override readonly name: string = 'NotRunningError';
}

/** `up.json` names a process that is gone: `parley up` was killed before it could remove it. */
export class StaleUpStateError extends NotRunningError {
  override readonly name = 'StaleUpStateError';
}

/** The state of the `parley up` running on `dataDir`; fails clearly when there is none, or when it is gone. */
export async function readUpState(dataDir: string): Promise<UpState> {
  const file = upStateFile(dataDir);
  let state: UpState;
  try {
    state = JSON.parse(await readFile(file, 'utf8')) as UpState;
  } catch (err) {
    throw new NotRunningError(`no running Parley found (${file}); start one with \`make up\``, { cause: err });
  }
  if (!processAlive(state.pid)) {
    throw new StaleUpStateError(`Parley is not running: ${file} names process ${state.pid}, which has ended (it was killed before it could clean up); start it again with \`make up\``);
  }
  return state;
}

/**
 * Removes `up.json` if this process wrote it; synchronous, so that it can run from a
 * `process.on('exit')` handler, even on a forced exit.
 */
export function removeUpState(dataDir: string, pid = process.pid): void {
  try {
    const state = JSON.parse(readFileSync(upStateFile(dataDir), 'utf8')) as Partial<UpState>;
    if (state.pid === pid) rmSync(upStateFile(dataDir), { force: true });
  } catch {
    // Gone already, or not ours to judge: leave it.
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, owned by someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The token secret of a local installation: generated once, kept with its data. */
export async function localSecret(dataDir: string): Promise<string> {
  const file = join(dataDir, 'secret');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const secret = randomBytes(32).toString('base64url');
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, secret + '\n', { mode: 0o600 });
    return secret;
  }
}
