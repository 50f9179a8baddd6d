import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdir, readFile, rm } from 'node:fs/promises';
import { createServer, connect as tcpConnect } from 'node:net';
import { delimiter, join } from 'node:path';

export class NatsServerNotFoundError extends Error {
  override readonly name = 'NatsServerNotFoundError';
  constructor() {
    super('nats-server was not found on PATH or in /usr/sbin; install it (Debian: apt-get install -y nats-server) or set NATS_URL');
  }
}

export interface EmbeddedNats {
  url: string;
  stop(): Promise<void>;
}

/** Finds the `nats-server` binary: PATH first, then where Debian puts it. */
export async function findNatsServer(): Promise<string> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/bin'];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = join(dir, 'nats-server');
    try {
      await access(candidate);
      return candidate;
    } catch {
      // not here: try the next directory
    }
  }
  throw new NatsServerNotFoundError();
}

/**
 * Runs a local nats-server with JetStream for `parley up`, keeping its data under
 * `dataDir` so streams survive a restart. It listens on loopback only.
 */
export async function startEmbeddedNats(dataDir: string, port?: number): Promise<EmbeddedNats> {
  const binary = await findNatsServer();
  const storeDir = join(dataDir, 'nats');
  await mkdir(storeDir, { recursive: true });
  const pidFile = join(storeDir, 'nats-server.pid');
  await stopOrphan(pidFile, storeDir);
  const chosen = port ?? (await freePort());
  // Its own process group: Ctrl-C in the terminal reaches `parley up` only, which stops
  // the router (it still needs NATS to hand its leases over) before it stops this server.
  const child = spawn(binary, ['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(chosen), '-P', pidFile], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  // Out of the terminal's group, it would outlive a `parley up` that exits without stopping it.
  const killOnExit = () => child.kill('SIGTERM');
  process.on('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  await waitForPort(chosen, child, () => stderr);
  return {
    url: `nats://127.0.0.1:${chosen}`,
    stop: () => stopChild(child),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nats-server exited (${child.exitCode}): ${stderr()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1');
      socket.once('connect', () => resolve(socket.end() && true));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nats-server did not listen on ${port} within 10 s: ${stderr()}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * A nats-server that a killed `parley up` left running on this data folder (it runs in
 * its own process group, so a SIGKILL of `up` does not reach it): it holds the JetStream
 * store, so it is stopped before a new one starts.
 */
async function stopOrphan(pidFile: string, storeDir: string): Promise<void> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  // Only if that pid is still a nats-server on this store (a pid may have been reused).
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (cmdline.includes('nats-server') && cmdline.includes(storeDir)) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    // Gone, or a zombie (empty command line) waiting for its adoptive parent to reap it.
    const running = async () => (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes('nats-server');
    while (Date.now() < deadline && (await running())) await new Promise((r) => setTimeout(r, 50));
  }
  await rm(pidFile, { force: true });
}
