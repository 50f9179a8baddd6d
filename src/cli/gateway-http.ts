import type { Readable } from 'node:stream';
import { readAuthSettings, signLocalToken } from '../auth/index.ts';
import { readUpState } from '../process/index.ts';

/**
 * How the admin commands (`contacts`, `campaign`, `dnc`) reach the gateway: `PARLEY_URL`
 * and `PARLEY_TOKEN` (a supervisor's or admin's token); without them, the gateway of a
 * running `parley up` and an admin token signed with its local secret for `--tenant`.
 */
export interface GatewayHttp {
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** Streams `file` as the request body (never read whole), answering with the JSON result. */
  upload<T>(path: string, file: Readable): Promise<T>;
  /** The answer's body as a stream (a CSV export). */
  download(path: string): Promise<ReadableStream<Uint8Array>>;
}

/** A failed call: the gateway's problem (`type`, `detail`) or the transport's failure. */
export class GatewayCallError extends Error {
  override readonly name = 'GatewayCallError';
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export async function connectGateway(options: { dataDir: string; tenant: string }): Promise<GatewayHttp> {
  let url = process.env.PARLEY_URL;
  let token = process.env.PARLEY_TOKEN;
  if (!url || !token) {
    const state = await readUpState(options.dataDir);
    url ||= state.gatewayUrl;
    if (!token) {
      const { issuer, audience } = readAuthSettings();
      token = await signLocalToken(process.env.PARLEY_AUTH_SECRET || state.authSecret, { sub: 'parley-cli', tenant: options.tenant, role: 'admin' }, 3600, { issuer, audience: audience[0] });
    }
  }
  const base = url.replace(/\/+$/, '');
  const headers = { authorization: `Bearer ${token}` };

  async function send(method: string, path: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(`${base}${path}`, { method, ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) } });
    if (response.ok) return response;
    const text = await response.text();
    let problem: { type?: string; title?: string; detail?: string } = {};
    try {
      problem = JSON.parse(text) as typeof problem;
    } catch {
      // Not a problem document (a proxy's page): the status says enough.
    }
    throw new GatewayCallError(response.status, problem.type ?? 'http', `${method} ${path}: ${response.status} ${problem.type ?? ''}${problem.detail || problem.title ? ` — ${problem.detail ?? problem.title}` : ''}`);
  }

  return {
    async call<T>(method: string, path: string, body?: unknown) {
      const response = await send(method, path, body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      return (await response.json()) as T;
    },
    async upload<T>(path: string, file: Readable) {
      const { Readable: NodeReadable } = await import('node:stream');
      const body = NodeReadable.toWeb(file) as ReadableStream<Uint8Array>;
      // duplex: a streamed request body (undici requires saying so).
      const response = await send('POST', path, { body, headers: { 'content-type': 'text/csv' }, duplex: 'half' });
      return (await response.json()) as T;
    },
    async download(path: string) {
      const response = await send('GET', path);
      return response.body!;
    },
  };
}

export const seg = (s: string) => encodeURIComponent(s);
