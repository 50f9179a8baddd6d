import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdir } from 'node:fs/promises';
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
  const chosen = port ?? (await freePort());
  // Its own process group: Ctrl-C in the terminal reaches `parley up` only, which stops
  // the router (it still needs NATS to hand its leases over) before it stops this server.
  const child = spawn(binary, ['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(chosen)], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
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
