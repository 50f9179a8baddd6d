import { WebSocket } from 'ws';
import type { ServerFrame } from '../../src/web-messaging/index.ts';

/**
 * A web customer at the protocol level: the session socket with every server frame kept,
 * so a frame that arrives before the test asks for it is not missed.
 */
export class CustomerClient {
  readonly frames: ServerFrame[] = [];
  private waiters: { match: (f: ServerFrame) => boolean; resolve: (f: ServerFrame) => void }[] = [];
  closed: { code: number; reason: string } | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString('utf8')) as ServerFrame;
      const waiter = this.waiters.find((w) => w.match(frame));
      if (waiter) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(frame);
      } else this.frames.push(frame);
    });
    ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  /** Opens the socket (`?token=` unless `firstFrameToken`) and waits for `ready`. */
  static async connect(baseUrl: string, token: string, options: { origin?: string; firstFrameToken?: boolean } = {}): Promise<CustomerClient> {
    const url = `${baseUrl.replace(/^http/, 'ws')}/web/v1/ws${options.firstFrameToken ? '' : `?token=${encodeURIComponent(token)}`}`;
    const ws = new WebSocket(url, options.origin ? { origin: options.origin } : {});
    const client = new CustomerClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    if (options.firstFrameToken) client.send({ type: 'auth', token });
    const closed = new Promise<never>((_resolve, reject) => ws.once('close', (code) => reject(new Error(`closed ${code}`))));
    await Promise.race([client.next('ready'), closed]);
    closed.catch(() => undefined);
    return client;
  }

  send(frame: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(frame));
  }

  next<T extends ServerFrame['type']>(type: T, match: (f: Extract<ServerFrame, { type: T }>) => boolean = () => true, timeoutMs = 10_000): Promise<Extract<ServerFrame, { type: T }>> {
    const test = (f: ServerFrame) => f.type === type && match(f as Extract<ServerFrame, { type: T }>);
    const index = this.frames.findIndex(test);
    if (index >= 0) return Promise.resolve(this.frames.splice(index, 1)[0] as Extract<ServerFrame, { type: T }>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} frame within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        match: test,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f as Extract<ServerFrame, { type: T }>);
        },
      });
    });
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close(1000);
    });
  }
}
