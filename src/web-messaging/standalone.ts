import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type { ChannelTransport } from '../channels/index.ts';
import type { WebMessagingDeps } from './options.ts';
import { webMessagingRoutes } from './routes.ts';

export interface StandaloneWebMessagingOptions extends WebMessagingDeps {
  /** @default 0 (any free port) */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** Extra routes on the same server (a test page, the widget's script). */
  extend?: (app: ReturnType<typeof Fastify>) => void | Promise<void>;
}

export interface RunningWebMessaging {
  /** `http://host:port` */
  url: string;
  transport: ChannelTransport;
  close(): Promise<void>;
}

/** Web messaging on its own fastify server: for tests and for trying the widget alone. */
export async function startWebMessaging(options: StandaloneWebMessagingOptions): Promise<RunningWebMessaging> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const { transport } = await webMessagingRoutes(app, options);
  await options.extend?.(app);
  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://${options.host ?? '127.0.0.1'}:${port}`, transport, close: () => app.close() };
}
