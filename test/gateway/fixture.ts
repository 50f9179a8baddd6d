import { jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { streams } from '../../src/contract/index.ts';
import { ParleyClient, signToken, startGateway } from '../../src/gateway/index.ts';
import type { Gateway, GatewayOptions, Role } from '../../src/gateway/index.ts';
import { migrateToLatest, openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { startTestServices } from '../support/services.ts';
import type { TestServices } from '../support/services.ts';

export const SECRET = 'gateway-test-secret-0123456789abcdef';
export const TENANT = 'acme';
export const OTHER_TENANT = 'globex';

/** Real NATS (with the router's command stream) and PostgreSQL, plus a gateway on port 0. */
export interface GatewayFixture {
  services: TestServices;
  nc: NatsConnection;
  jsm: JetStreamManager;
  store: Store;
  gateway: Gateway;
  registry: Registry;
  token(sub: string, role: Role, tenant?: string): string;
  client(sub: string, role: Role, tenant?: string): ParleyClient;
  /** Another gateway on the same services (closed by stop()). */
  startGateway(overrides?: Partial<GatewayOptions>): Promise<Gateway>;
  /** Messages stored in the command stream now. */
  commandCount(): Promise<number>;
  stop(): Promise<void>;
}

/** One per test file, from beforeAll; stop() in afterAll undoes everything it started. */
export async function startFixture(overrides: Partial<GatewayOptions> = {}): Promise<GatewayFixture> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async (): Promise<void> => {
    // Reverse order: gateways before the connections they use, services last.
    const errors: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((err: unknown) => errors.push(err));
    }
    if (errors.length > 0) throw new AggregateError(errors, 'gateway fixture cleanup failed');
  };

  try {
    const services = await startTestServices();
    cleanups.push(() => services.stop());

    const nc = await connect({ servers: services.natsUrl });
    cleanups.push(() => nc.close());
    const jsm = await jetstreamManager(nc);
    // What the router does at start: the stream that captures agent commands.
    await jsm.streams.add({ name: streams.commands.name, subjects: [...streams.commands.subjects] });

    const store = await openStore({ url: services.databaseUrl, poolSize: 4 });
    cleanups.push(() => store.close());
    await migrateToLatest(store.db);

    const registry = new Registry();
    const start = async (more: Partial<GatewayOptions> = {}): Promise<Gateway> => {
      const gw = await startGateway({ nc, db: store.db, secret: SECRET, registry, ...overrides, ...more });
      cleanups.push(() => gw.close());
      return gw;
    };
    const gateway = await start();
    const token = (sub: string, role: Role, tenant = TENANT): string => signToken(SECRET, { sub, tenant, role });

    return {
      services,
      nc,
      jsm,
      store,
      gateway,
      registry,
      token,
      client: (sub, role, tenant) => new ParleyClient({ baseUrl: gateway.url, token: token(sub, role, tenant) }),
      startGateway: start,
      commandCount: async () => (await jsm.streams.info(streams.commands.name)).state.messages,
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
