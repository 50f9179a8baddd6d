import { spawn, type ChildProcess } from 'node:child_process';
import type { ClusterView } from '../../src/router/index.ts';
import { trackChild } from './process-cleanup.ts';

export interface RouterProcessOptions {
  natsUrl: string;
  databaseUrl: string;
  /** The router's name in the cluster (as a StatefulSet pod's). */
  nodeId: string;
  /** Folder of resource YAML synced into the configuration bucket at start. */
  configDir?: string;
  leaseMs?: number;
  partitions?: number;
  /** More environment for the process. */
  env?: Record<string, string>;
  /** More Node flags for the process (before those of PARLEY_ROUTER_NODE_ARGS). */
  nodeArgs?: string[];
}

/**
 * A `parley router` process (`cmd/router.ts`), as in production: its own NATS and
 * database connections, ops server on a free port. Its log lines (JSON) are kept so a
 * test can wait for one.
 */
export class RouterProcess {
  readonly log: Record<string, unknown>[] = [];
  private readonly listeners = new Set<(line: Record<string, unknown>) => void>();
  private untrack: () => void = () => undefined;
  opsUrl = '';
  stderr = '';

  private constructor(
    readonly nodeId: string,
    readonly child: ChildProcess,
  ) {}

  /** Starts the process and resolves once it reports ready (it holds its first share by then). */
  static async start(options: RouterProcessOptions): Promise<RouterProcess> {
    // PARLEY_ROUTER_NODE_ARGS: extra Node flags for the router processes (e.g. --cpu-prof to profile a benchmark).
    const nodeArgs = [...(options.nodeArgs ?? []), ...(process.env.PARLEY_ROUTER_NODE_ARGS?.split(' ').filter(Boolean) ?? [])];
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'cmd/router.ts'], {
      env: {
        ...process.env,
        NATS_URL: options.natsUrl,
        DATABASE_URL: options.databaseUrl,
        PARLEY_NODE_ID: options.nodeId,
        PARLEY_OPS_PORT: '0',
        PARLEY_LOG_LEVEL: 'info',
        ...(options.configDir && { PARLEY_CONFIG: options.configDir }),
        ...(options.leaseMs && { PARLEY_LEASE_MS: String(options.leaseMs) }),
        ...(options.partitions && { PARLEY_PARTITIONS: String(options.partitions) }),
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const router = new RouterProcess(options.nodeId, child);
    router.untrack = trackChild(child);
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const text of lines) {
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(text) as Record<string, unknown>;
        } catch {
          continue;
        }
        router.log.push(line);
        for (const listener of router.listeners) listener(line);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (router.stderr += chunk.toString()));
    const ready = await Promise.race([
      router.logged((l) => l.msg === 'router ready', 60_000),
      new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`router ${options.nodeId} exited with ${code}: ${router.stderr}`)))),
    ]);
    router.opsUrl = String(ready.ops);
    return router;
  }

  /** Resolves with the first log line (past or future) that matches. */
  logged(match: (line: Record<string, unknown>) => boolean, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const seen = this.log.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`router ${this.nodeId}: no matching log line in ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (line: Record<string, unknown>) => {
        if (!match(line)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(line);
      };
      this.listeners.add(listener);
    });
  }

  /** The router's view of the cluster (`GET /cluster` on its ops server). */
  async cluster(): Promise<ClusterView> {
    // A router that died says why, rather than "fetch failed".
    if (!this.running) throw new Error(`router ${this.nodeId} exited (${this.child.exitCode ?? this.child.signalCode}): ${this.stderr.slice(-2000)}`);
    const res = await fetch(`${this.opsUrl}/cluster`);
    if (!res.ok) throw new Error(`GET /cluster: ${res.status}`);
    return (await res.json()) as ClusterView;
  }

  async metrics(): Promise<string> {
    return (await fetch(`${this.opsUrl}/metrics`)).text();
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Resolves when the process has exited (at once if it has). */
  exited(): Promise<void> {
    const done = () => this.untrack();
    if (!this.running) return Promise.resolve(done());
    return new Promise((resolve) => this.child.once('exit', () => resolve(done())));
  }

  /** SIGTERM (graceful: the router hands its partitions over), then waits for the exit. */
  async stop(): Promise<void> {
    if (this.running) this.signal('SIGTERM');
    await this.exited();
  }

  /** SIGKILL, as a crash: nothing is handed over. */
  async kill(): Promise<void> {
    if (this.running) this.signal('SIGKILL');
    await this.exited();
  }
}
