import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** Each dependency's state: `true` when usable, else why not (e.g. `"connection closed"`). */
export type Readiness = Record<string, true | string>;

export interface OpsServerOptions {
  registry: Registry;
  /**
   * Answers whether the process can take work (dependencies reachable): a boolean, or
   * each dependency's state, which `/readyz` then reports (ready when all are `true`).
   */
  ready(): Promise<boolean | Readiness>;
  /** Answers whether the process is alive (not stuck); restarted by Kubernetes when not. @default always */
  live?(): boolean;
  /** More read-only JSON documents served under their path (e.g. `/cluster`). */
  documents?: Record<string, () => unknown>;
  /** @default 0 */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
}

export interface OpsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * `/metrics` (Prometheus), `/healthz` (liveness: the process answers and is not stuck),
 * `/readyz` (readiness: it can take work) and any read-only documents the process adds,
 * for a process that has no other HTTP API.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return void res.writeHead(405).end();
    if (path === '/healthz') {
      const live = options.live?.() ?? true;
      return void res.writeHead(live ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: live ? 'ok' : 'stuck' }));
    }
    const document = path ? options.documents?.[path] : undefined;
    if (document) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document()));
    if (path === '/readyz') {
      void options.ready().then(
        (answer) => {
          const checks = typeof answer === 'boolean' ? undefined : Object.fromEntries(Object.entries(answer).map(([name, state]) => [name, state === true ? 'ok' : state]));
          const ok = checks ? Object.values(answer).every((state) => state === true) : answer === true;
          res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ready' : 'unavailable', ...(checks && { checks }) }));
        },
        (err: unknown) => res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'unavailable', error: err instanceof Error ? err.message : 'readiness check failed' })),
      );
      return;
    }
    if (path === '/metrics') {
      void options.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port, address } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
