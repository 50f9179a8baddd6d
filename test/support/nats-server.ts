import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from './free-port.ts';
import { trackChild, trackDir } from './process-cleanup.ts';
import { waitFor } from './wait-for.ts';

export interface NatsServerOptions {
  /** Client port; a free one is picked when omitted. */
  port?: number;
  /** JetStream store directory; pass a previous server's storeDir to keep its data. */
  storeDir?: string;
}

export interface NatsServer {
  url: string;
  port: number;
  storeDir: string;
  /** Signals the server (SIGTERM by default) and resolves once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

// Debian puts nats-server in /usr/sbin, which is not on a non-root PATH.
const EXTRA_BIN_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/bin'];
const START_ATTEMPTS = 3;
const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;

/** Absolute path of the nats-server binary, or undefined if not installed. */
export function findNatsServerBinary(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...EXTRA_BIN_DIRS];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, 'nats-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

export function natsServerMissingMessage(): string {
  return (
    `nats-server not found on PATH (also looked in ${EXTRA_BIN_DIRS.join(', ')}); ` +
    'install it with `apt-get install -y nats-server` (or run `make services`), ' +
    'or set NATS_URL to a JetStream-enabled server'
  );
}

/**
 * Spawns a private JetStream-enabled nats-server on 127.0.0.1 and resolves once
 * it accepts clients.
 *
 * stop() ends the process but deliberately keeps storeDir so a test can restart
 * on the same data (e.g. after stop('SIGKILL')). Store directories this function
 * created itself are removed when the test process exits.
 */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServer> {
  const binary = findNatsServerBinary();
  if (!binary) throw new Error(natsServerMissingMessage());

  let storeDir = opts.storeDir;
  if (storeDir === undefined) {
    storeDir = await mkdtemp(join(tmpdir(), 'parley-nats-'));
    trackDir(storeDir);
  }

  // A port from freePort() can be taken before nats-server binds it; retry then.
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    try {
      return await spawnOnce(binary, port, storeDir);
    } catch (err) {
      const portClash = err instanceof Error && /address already in use/i.test(err.message);
      if (!portClash || opts.port !== undefined || attempt >= START_ATTEMPTS) throw err;
    }
  }
}

async function spawnOnce(binary: string, port: number, storeDir: string): Promise<NatsServer> {
  const args = ['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(port)];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const untrack = trackChild(child);

  // The server logs continuously; the pipes must be drained or it would block.
  // Keep the tail for error messages.
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-8192);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);

  const exited = new Promise<void>((resolve) => {
    const finish = (): void => {
      untrack();
      resolve();
    };
    // 'close' (not 'exit'): by then the output pipes are drained, so error
    // messages include the server's last words.
    child.once('close', finish);
    // If spawn itself fails there is no process and no 'exit' event.
    child.once('error', () => {
      if (child.pid === undefined) finish();
    });
  });
  // Rejections after a successful start (i.e. stop()) are ignored: the race
  // below has already settled.
  const failedToStart = new Promise<never>((_, reject) => {
    child.once('error', reject);
    void exited.then(() =>
      reject(
        new Error(
          `nats-server exited during startup (code ${child.exitCode}, signal ${child.signalCode}): ${output.trim()}`,
        ),
      ),
    );
  });

  const stopPolling = new AbortController();
  try {
    await Promise.race([
      waitFor(() => readJetStreamInfo(port), {
        timeoutMs: READY_TIMEOUT_MS,
        what: `nats-server on port ${port} to accept clients with JetStream enabled`,
        signal: stopPolling.signal,
      }),
      failedToStart,
    ]);
  } catch (err) {
    stopPolling.abort();
    child.kill('SIGKILL');
    await exited;
    throw err;
  }

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Connects to the client port and reads the INFO line every NATS server sends
 * first. Returns true once it advertises JetStream, undefined otherwise. This
 * also proves the port is held by *our* server, not some other listener.
 */
function readJetStreamInfo(port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    let buffered = '';
    const done = (value: true | undefined): void => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(1_000, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const end = buffered.indexOf('\r\n');
      if (end === -1) return;
      const line = buffered.slice(0, end);
      if (!line.startsWith('INFO ')) return done(undefined);
      try {
        const info = JSON.parse(line.slice(5)) as { jetstream?: boolean };
        done(info.jetstream === true ? true : undefined);
      } catch {
        done(undefined);
      }
    });
  });
}
