import { connect, type NatsConnection } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { sql, type Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, waitFor, type NatsServer } from '../support/services.ts';
import { startPostgresService, type PostgresService } from '../support/postgres-service.ts';
import { findNatsServerBinary } from '../support/nats-server.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { channel, metricValue, queue } from '../support/parley.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';
import { ConfigRegistry } from '../../src/config/index.ts';
import { migrateToLatest, openStore, type Database, type Store } from '../../src/store/index.ts';
import { startRouter, type Router } from '../../src/router/index.ts';
import { encode, inboundMsgId, streams, subjects } from '../../src/contract/index.ts';
import { createLogger } from '../../src/observability/index.ts';

const tenant = 'acme';

/**
 * The router's dependencies failing under it: NATS restarting, PostgreSQL ending its
 * sessions in the middle of a load, the database host unreachable. Nothing is lost,
 * nothing is stored twice, and the same router process goes on without a restart.
 */
describe.skipIf(!findNatsServerBinary())('a router through NATS and PostgreSQL outages', () => {
  let nats: NatsServer;
  let postgres: PostgresService;
  let proxy: TcpProxy;
  let nc: NatsConnection;
  let client: NatsConnection;
  let store: Store;
  let direct: Store;
  let router: Router;
  const registry = new Registry();

  beforeAll(async () => {
    [nats, postgres] = await Promise.all([startNatsServer(), startPostgresService()]);
    const url = new URL(postgres.url);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    const proxied = new URL(postgres.url);
    proxied.port = String(proxy.port);
    // Both keep reconnecting for as long as the outage lasts.
    const reconnecting = { servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 };
    [nc, client] = await Promise.all([connect(reconnecting), connect(reconnecting)]);
    // The message path goes through the proxy; partition claims straight to the server,
    // so that cutting the proxy is a database outage for the work, not a lost lease.
    store = await openStore({ url: proxied.toString(), onIdleError: () => {} });
    direct = await openStore({ url: postgres.url, poolSize: 2, onIdleError: () => {} });
    await migrateToLatest(direct.db);
    const config = new ConfigRegistry();
    config.apply([channel(tenant, 'whatsapp', { type: 'whatsapp', queue: 'support' }), queue(tenant, 'support')]);
    router = await startRouter({ nc, db: store.db, leaseDb: direct.db, config, registry, logger: createLogger({}, { level: 'error' }) });
  });

  afterAll(async () => {
    await router?.stop();
    await store?.close();
    await direct?.close();
    await Promise.all([nc?.close(), client?.close()]);
    await proxy?.stop();
    await nats?.stop();
    await postgres?.stop();
  });

  const db = (): Kysely<Database> => direct.db;
  /**
   * Publishes `count` customer messages (one customer each) as a gateway must: until
   * JetStream acknowledges, again with the same `Nats-Msg-Id` (contract.md §1). Returns
   * their provider ids.
   */
  const publish = async (prefix: string, count: number) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const messageId = `${prefix}-${i}-${randomUUID()}`;
      const envelope = { version: 1, tenant, channel: 'whatsapp', messageId, timestamp: new Date().toISOString(), from: { id: `${prefix}-${i}`, idType: 'opaque' }, text: `${prefix} ${i}` };
      await waitFor(() => jetstream(client).publish(subjects.inbound(tenant, 'whatsapp'), encode(envelope), { msgID: inboundMsgId(tenant, 'whatsapp', messageId), timeout: 1_000 }), {
        what: `the publication of ${messageId}`,
        timeoutMs: 30_000,
      });
      ids.push(messageId);
    }
    return ids;
  };
  const storedCount = async (ids: string[]) =>
    Number((await db().selectFrom('messages').select((eb) => eb.fn.countAll<string>().as('n')).where('platform_message_id', 'in', ids).executeTakeFirstOrThrow()).n);
  /** Every id stored, each exactly once. */
  const expectStoredOnce = async (ids: string[], what: string) => {
    await waitFor(async () => ((await storedCount(ids)) === ids.length ? true : undefined), { what, timeoutMs: 60_000 });
    const rows = await db().selectFrom('messages').select('platform_message_id').where('platform_message_id', 'in', ids).execute();
    expect(new Set(rows.map((r) => r.platform_message_id)).size).toBe(ids.length);
    expect(rows).toHaveLength(ids.length);
  };
  const terminateSessions = () =>
    sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`.execute(db());

  it('loses nothing when NATS restarts under it, and routes afterwards', async () => {
    const before = await publish('before-nats', 100);
    await nats.stop();
    nats = await startNatsServer({ port: nats.port, storeDir: nats.storeDir });
    const after = await publish('after-nats', 20);
    await expectStoredOnce([...before, ...after], 'every message published around the NATS restart');
    expect(router.healthy()).toBe(true);

    const agent = new AgentDriver(client, tenant, 'nina');
    await agent.configure([], { message: 1 });
    await agent.presence('available');
    expect(await agent.acceptNextOffer(30_000)).toBeTruthy();
    await agent.presence('offline');
    agent.stop();
  });

  it('loses nothing when PostgreSQL terminates its sessions under load', async () => {
    const ids = await publish('load', 600);
    // Three times, at different stages of the load.
    for (const progress of [100, 250, 400]) {
      await waitFor(async () => ((await storedCount(ids)) >= progress ? true : undefined), { what: `${progress} messages stored`, timeoutMs: 60_000 });
      await terminateSessions();
    }
    await expectStoredOnce(ids, 'all 600 messages, once each');
    expect(await metricValue(registry, 'parley_dead_letters_total')).toBe(0);
    const dead = await (await jetstreamManager(client)).streams.info(streams.deadLetters.name);
    expect(dead.state.messages).toBe(0);
    expect(router.healthy()).toBe(true);
  });

  it('answers an agent command unavailable while the database is unreachable, and carries on once it is back', async () => {
    const agent = new AgentDriver(client, tenant, 'omar');
    await agent.configure([], { message: 1 });
    await proxy.cut();
    try {
      const refused = await agent.command({ type: 'presence.set', presence: 'available' });
      expect(refused).toMatchObject({ ok: false, error: { code: 'unavailable' } });
      // A customer message meanwhile waits in JetStream.
      const during = await publish('during-cut', 3);
      await proxy.restore();
      await expectStoredOnce(during, 'the messages published while the database was unreachable');
    } finally {
      await proxy.restore().catch(() => {});
    }
    expect(await agent.command({ type: 'presence.set', presence: 'available' })).toMatchObject({ ok: true });
    expect(await metricValue(registry, 'parley_dead_letters_total')).toBe(0);
    expect(router.healthy()).toBe(true);
    agent.stop();
  });
});
