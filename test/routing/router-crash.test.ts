import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { configFolder, type ConfigFolder } from '../support/config-folder.ts';
import { openStore, type Store } from '../../src/store/index.ts';

const tenant = 'acme';
const customers = 20;
const messagesEach = 15;

/** Starts `cmd/router.ts` as its own process and resolves once it is ready. */
function startRouterProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cmd/router.ts'], {
    env: { ...process.env, ...env, PARLEY_OPS_PORT: '0', PARLEY_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('"router ready"')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`router exited with ${code}: ${stderr}`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

describe('a router process killed mid-stream', () => {
  let services: TestServices;
  let config: ConfigFolder;
  let nc: NatsConnection;
  let store: Store;
  let router: ChildProcess | undefined;

  beforeAll(async () => {
    services = await startTestServices();
    config = await configFolder(tenant);
    nc = await connect({ servers: services.natsUrl });
    store = await openStore({ url: services.databaseUrl });
  });

  afterAll(async () => {
    router?.kill('SIGKILL');
    if (router) await exited(router);
    await nc?.drain();
    await store?.close();
    await services?.stop();
    await config?.remove();
  });

  it('loses no message: everything published is stored exactly once and routed after a restart', { timeout: 180_000 }, async () => {
    // A stable node name, as a StatefulSet pod has: the restarted router takes its partitions back at once.
    const env = { NATS_URL: services.natsUrl, DATABASE_URL: services.databaseUrl, PARLEY_CONFIG: config.dir, PARLEY_NODE_ID: 'router-0' };
    router = await startRouterProcess(env);
    const agent = new AgentDriver(nc, tenant, 'ines');
    await agent.configure([], { message: 25 });
    await agent.presence('available');
    agent.autoAccept();

    const stored = async () => Number((await store.db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const drivers = Array.from({ length: customers }, (_, i) => new CustomerDriver(nc, tenant, 'whatsapp', { id: `+4479460000${String(i).padStart(2, '0')}`, idType: 'phone' }));
    const publishing = (async () => {
      for (let round = 0; round < messagesEach; round++) {
        await Promise.all(drivers.map((d, i) => d.say(`message ${round} from ${i}`)));
      }
    })();

    // Kill -9 once a part of the stream is stored, while the rest is still arriving.
    await waitFor(async () => ((await stored()) >= (customers * messagesEach) / 4 ? true : undefined), { what: 'a quarter stored', timeoutMs: 30_000 });
    router.kill('SIGKILL');
    await exited(router);
    await publishing;
    router = await startRouterProcess(env);

    const total = customers * messagesEach;
    await waitFor(async () => ((await stored()) === total ? true : undefined), { what: `${total} messages stored`, timeoutMs: 60_000 });
    const perMessage = await store.db
      .selectFrom('messages')
      .select(['platform_message_id', (eb) => eb.fn.countAll().as('n')])
      .groupBy('platform_message_id')
      .having((eb) => eb.fn.countAll(), '>', 1)
      .execute();
    expect(perMessage).toEqual([]);

    // Every conversation reaches the agent, none is left waiting or half-offered.
    const conversations = await waitFor(
      async () => {
        const rows = await store.db.selectFrom('conversations').select(['state', 'agent_id']).execute();
        return rows.length === customers && rows.every((r) => r.state === 'connected') ? rows : undefined;
      },
      { what: 'every conversation connected', timeoutMs: 60_000 },
    );
    expect(conversations.every((r) => r.agent_id === 'ines')).toBe(true);
    agent.stop();
  });
});
