import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface OpsServerOptions {
  registry: Registry;
  /** Answers whether the process can take work (dependencies reachable). */
  ready(): Promise<boolean>;
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
 * `/metrics` (Prometheus), `/healthz` (liveness: the process answers) and `/readyz`
 * (readiness: NATS and the database answer) for a process that has no other HTTP API.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return void res.writeHead(405).end();
    if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    if (path === '/readyz') {
      void options.ready().then(
        (ok) => res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ready' : 'unavailable' })),
        () => res.writeHead(503).end(),
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
