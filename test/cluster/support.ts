import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, expect } from 'vitest';
import type { AgentContext } from '../../src/agent/context.ts';
import { agentSnapshot, openStore, type Database, type Store } from '../../src/store/index.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { RouterProcess } from '../support/router-process.ts';
import { configFolder, type ConfigFolder } from '../support/config-folder.ts';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';

export const tenant = 'acme';
export const PARTITIONS = 64;
/** Short leases, so failover tests take seconds; production uses 10 s. */
export const LEASE_MS = 3_000;

export interface Cluster {
  readonly nc: NatsConnection;
  readonly db: Kysely<Database>;
  /** The file's own servers, for processes a test starts itself. */
  readonly natsUrl: string;
  readonly databaseUrl: string;
  /** Starts a `parley router` process (as a StatefulSet pod named `nodeId`); stopped after the file's tests. */
  start(nodeId: string, leaseMs?: number): Promise<RouterProcess>;
  /** Starts agents that take, answer and close what they are offered; stopped after the file's tests. */
  agents(count: number, capacity: number): Promise<ServiceAgents>;
}

/**
 * A test file's cluster: its own NATS server and database, the resources of one WhatsApp
 * channel and its queue, a NATS connection and a store for the test's own checks. Routers
 * and agents started through it are killed and stopped after the file's tests (paused
 * ones resumed first).
 */
export function useCluster(): Cluster {
  let services: TestServices | undefined;
  let config: ConfigFolder | undefined;
  let nc: NatsConnection | undefined;
  let store: Store | undefined;
  const routers: RouterProcess[] = [];
  const agents: ServiceAgents[] = [];

  beforeAll(async () => {
    services = await startTestServices();
    config = await configFolder(tenant);
    nc = await connect({ servers: services.natsUrl });
    store = await openStore({ url: services.databaseUrl });
  });

  afterAll(async () => {
    for (const a of agents) a.stop();
    for (const r of routers) if (r.running) r.signal('SIGCONT');
    await Promise.all(routers.map((r) => r.kill()));
    await nc?.drain();
    await store?.close();
    await services?.stop();
    await config?.remove();
  });

  return {
    get nc() {
      return nc as NatsConnection;
    },
    get db() {
      return (store as Store).db;
    },
    get natsUrl() {
      return (services as TestServices).natsUrl;
    },
    get databaseUrl() {
      return (services as TestServices).databaseUrl;
    },
    async start(nodeId, leaseMs = LEASE_MS) {
      const s = services as TestServices;
      const router = await RouterProcess.start({ natsUrl: s.natsUrl, databaseUrl: s.databaseUrl, nodeId, configDir: (config as ConfigFolder).dir, leaseMs });
      routers.push(router);
      return router;
    },
    async agents(count, capacity) {
      const a = new ServiceAgents(nc as NatsConnection, count, capacity);
      agents.push(a);
      await a.start();
      return a;
    },
  };
}

/** Inbound messages stored so far. */
export async function storedCount(db: Kysely<Database>): Promise<number> {
  return Number((await db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).where('direction', '=', 'inbound').executeTakeFirstOrThrow()).n);
}

/**
 * Waits until the live routers, asked one by one, agree: each owns the partitions the
 * others do not, together all of them, and each holds a fair share (±1).
 */
export async function settledOwnership(routers: RouterProcess[], timeoutMs = 20_000): Promise<Map<string, number[]>> {
  return waitFor(
    async () => {
      const views = await Promise.all(routers.map(async (r) => [r.nodeId, (await r.cluster()).owned] as const));
      const all = views.flatMap(([, owned]) => owned);
      const fair = Math.floor(PARTITIONS / routers.length);
      const settled = new Set(all).size === all.length && all.length === PARTITIONS && views.every(([, owned]) => owned.length === fair || owned.length === fair + 1);
      return settled ? new Map(views) : undefined;
    },
    { what: `${routers.length} routers to share ${PARTITIONS} partitions`, timeoutMs, intervalMs: 100 },
  );
}

/** The partitions' owners as the fencing table records them. */
export async function storedOwners(db: Kysely<Database>): Promise<Map<number, string>> {
  const rows = await db.selectFrom('partition_epochs').select(['partition', 'owner']).execute();
  return new Map(rows.map((r) => [r.partition, r.owner]));
}

/**
 * Agents that take every conversation offered (auto-accept), reply to the customer and
 * close it, so their capacity keeps turning over. Commands go through JetStream like a
 * real client's; results are not awaited (a router may be down when they are sent).
 */
export class ServiceAgents {
  readonly drivers: AgentDriver[];
  private stopped = false;

  constructor(
    private readonly nc: NatsConnection,
    count: number,
    readonly capacity: number,
  ) {
    this.drivers = Array.from({ length: count }, (_, i) => new AgentDriver(nc, tenant, `agent-${i}`));
  }

  async start(): Promise<void> {
    for (const agent of this.drivers) {
      const configured = await agent.command({ type: 'agent.configure', name: agent.id, skills: [], capacity: { message: this.capacity }, autoAccept: true });
      if (!configured.ok) throw new Error(`configure ${agent.id}: ${JSON.stringify(configured.error)}`);
    }
    await Promise.all(this.drivers.map((a) => a.presence('available')));
    for (const agent of this.drivers) void this.serve(agent);
  }

  /** Agents holding each conversation (told it is theirs, not yet closed by them), and the most a conversation ever had at once. */
  private readonly holders = new Map<string, Set<string>>();
  mostHoldersOfOneConversation = 0;
  /** `conversation.assigned` events received, by conversation. */
  readonly assignments = new Map<string, number>();

  private async serve(agent: AgentDriver): Promise<void> {
    while (!this.stopped) {
      const assigned = await agent.next('conversation.assigned', () => true, 3_600_000).catch(() => undefined);
      if (!assigned || this.stopped) return;
      const { conversationId } = assigned;
      this.assignments.set(conversationId, (this.assignments.get(conversationId) ?? 0) + 1);
      const holding = this.holders.get(conversationId) ?? new Set<string>();
      this.holders.set(conversationId, holding.add(agent.id));
      this.mostHoldersOfOneConversation = Math.max(this.mostHoldersOfOneConversation, holding.size);
      void (async () => {
        await agent.reply(conversationId, 'Hello, how can I help?').catch(() => undefined);
        const closed = await agent.close(conversationId).catch(() => undefined);
        if (closed?.ok) holding.delete(agent.id);
      })();
    }
  }

  stop(): void {
    this.stopped = true;
    for (const agent of this.drivers) agent.stop();
  }
}

/** Customers each sending messages; resolves with how many were published. */
export async function customersSay(nc: NatsConnection, from: number, count: number, messagesEach: number): Promise<number> {
  const drivers = Array.from({ length: count }, (_, i) => new CustomerDriver(nc, tenant, 'whatsapp', { id: `+3361${String(from + i).padStart(7, '0')}`, idType: 'phone' }));
  for (let round = 0; round < messagesEach; round++) {
    for (let i = 0; i < drivers.length; i += 100) {
      await Promise.all(drivers.slice(i, i + 100).map((d, j) => d.say(`message ${round} from customer ${from + i + j}`)));
    }
  }
  return count * messagesEach;
}

/**
 * Reads every agent's committed state now and then while a scenario runs, and records
 * the most conversations any agent ever held (offers reserved plus active).
 */
export class CapacityWatch {
  mostPerAgent = 0;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;

  constructor(private readonly db: Kysely<Database>) {}

  start(): void {
    this.timer = setInterval(() => {
      this.reading ??= this.read().finally(() => (this.reading = undefined));
    }, 100);
  }

  private async read(): Promise<void> {
    const rows = await this.db.selectFrom('agents').select(agentSnapshot().as('snapshot')).execute();
    for (const row of rows) {
      const agent = (row.snapshot as { context: AgentContext }).context;
      this.mostPerAgent = Math.max(this.mostPerAgent, agent.offers.length + agent.active.length);
    }
  }

  async stop(): Promise<number> {
    clearInterval(this.timer);
    await this.reading;
    await this.read();
    return this.mostPerAgent;
  }
}

/** Every customer message published is stored, once. */
export async function expectStoredExactlyOnce(db: Kysely<Database>, published: number, timeoutMs = 90_000): Promise<void> {
  const count = () => storedCount(db);
  await waitFor(async () => ((await count()) >= published ? true : undefined), { what: `${published} inbound messages stored`, timeoutMs });
  const twice = await db
    .selectFrom('messages')
    .select(['platform_message_id', (eb) => eb.fn.countAll().as('n')])
    .where('direction', '=', 'inbound')
    .groupBy('platform_message_id')
    .having((eb) => eb.fn.countAll(), '>', 1)
    .execute();
  expect(twice).toEqual([]);
  expect(await count()).toBe(published);
}

/**
 * Every conversation reached an agent (a conversation the agent closed and the customer
 * reopened is routed again: one assignment per time it waited), and none is left waiting.
 */
export async function expectEveryConversationRouted(db: Kysely<Database>, timeoutMs = 90_000): Promise<number> {
  const conversations = await waitFor(
    async () => {
      const rows = await db.selectFrom('conversations').select(['id', 'state']).execute();
      // Connected, or already handled by the agent (parked in its threading window, or closed).
      return rows.every((r) => ['connected', 'parked', 'closed'].includes(r.state)) ? rows : undefined;
    },
    { what: 'every conversation routed', timeoutMs },
  ).catch(async (err: unknown) => {
    // What was left behind, for whoever reads the failure.
    const states = await db.selectFrom('conversations').select(['state', (eb) => eb.fn.countAll().as('n')]).groupBy('state').execute();
    const agents = await db.selectFrom('agents').select(['id', 'presence', agentSnapshot().as('snapshot')]).execute();
    const left = agents.map((a) => {
      const c = (a.snapshot as { context: AgentContext }).context;
      return `${a.id}:${a.presence}:${c.offers.length}+${c.active.length}`;
    });
    const outbox = await db.selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
    throw new Error(`${(err as Error).message}; conversations by state ${JSON.stringify(states)}; agents (offers+active) ${left.join(' ')}; outbox rows ${String(outbox?.n)}`, { cause: err });
  });
  const assigned = await db.selectFrom('assignments').select('conversation_id').distinct().where('state', 'in', ['accepted', 'ended']).execute();
  const routed = new Set(assigned.map((r) => r.conversation_id));
  expect(conversations.filter((c) => !routed.has(c.id))).toEqual([]);
  return conversations.length;
}
