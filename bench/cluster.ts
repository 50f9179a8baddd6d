import { cpus } from 'node:os';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { sql, type Kysely } from 'kysely';
import { ensureStreams, startConsumeLoop } from '../src/bus/index.ts';
import { encode, externalIdOf, inboundMsgId, streams, subjects, type AgentEvent, type InboundMessage } from '../src/contract/index.ts';
import { openStore, type Database, type Store } from '../src/store/index.ts';
import { AgentDriver } from '../test/support/agent-driver.ts';
import { RouterProcess } from '../test/support/router-process.ts';
import { configFolder } from '../test/support/config-folder.ts';
import { startTestServices, waitFor, type TestServices } from '../test/support/services.ts';
import { percentile } from './random.ts';
import { inspectorUrlOf, retainedHeap, type RetainedHeap } from './retained-heap.ts';
import { BENCH_APPLICATION, PhaseMeter, type PhaseCost } from './resource-usage.ts';

/**
 * The routing cluster end to end, on this machine, against its own baseline:
 *
 * - raw pipeline: the same customer messages published to JetStream, taken by a durable
 *   pull consumer and inserted into PostgreSQL with group commit (what arrived while the
 *   previous insert committed, up to 100 rows), each acked after its commit. No routing:
 *   the most a JetStream → PostgreSQL pipeline does here.
 * - Parley with 1, 2 and 3 `parley router` processes (each count on a fresh NATS server
 *   and a fresh database holding a history of closed conversations, analyzed, as a
 *   database in service does: `seedHistory`): customers write to one WhatsApp channel whose queue has
 *   enough agents (auto-accepting) for every conversation. Measured: messages stored per
 *   second (first publish → all stored), the time until every conversation is connected,
 *   the latency from a customer's first message to the agent's `offer.created` event
 *   (under that load, where it is mostly time spent in the backlog, and afterwards at a
 *   steady pace the routers keep up with), and the heap the routers retain per active
 *   conversation (two last waves of new customers once the routers are warm, one
 *   connected and one waiting, the heap collected before and after through their
 *   inspectors).
 * - what a routed conversation costs (for the capacity model of docs/cluster.md): router
 *   CPU, PostgreSQL CPU and WAL bytes over the burst, per conversation (`PhaseMeter`).
 * - new customers behind a burst of follow-ups: once everything is routed, the customers
 *   write again (MESSAGES follow-ups) with PROBES new customers slipped in; each new
 *   customer is timed to its first offer. The burst of the first phase is itself made of
 *   new customers, so a new customer there waits its turn among them; here nothing ahead
 *   of it is new, and it should not wait for the follow-ups.
 *
 * Everything runs on one host: the routers, NATS, PostgreSQL and this process (which
 * plays the customers and the agents) share its cores, so more routers add CPU
 * contention, not CPU; the ratio to the raw pipeline is the number to compare.
 */
/** BENCH_SCALE shrinks the workload for a quick look (1 = the full size the results are quoted at). */
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const CONVERSATIONS = Math.max(10, Math.round(2_000 * SCALE));
const MESSAGES_EACH = 2;
const MESSAGES = CONVERSATIONS * MESSAGES_EACH;
/** The contract's most per agent and media type. */
const CAPACITY = 25;
/** Enough agents for every conversation, with a quarter to spare. */
const AGENTS = Math.ceil((CONVERSATIONS * 1.25) / CAPACITY);
/** Every n-th customer's first message is timed to its offer. */
const SAMPLE_EVERY = 10;
/** Publishes in flight at once (pipelined, each awaits its JetStream ack). */
const PUBLISH_CHUNK = 200;
/** Group commit: rows per insert at most (the routers' inbound batcher uses the same). */
const MAX_BATCH = 100;
/** BENCH_ROUTERS=1,3 runs only those router counts (for a quick look). */
const ROUTER_COUNTS = (process.env.BENCH_ROUTERS ?? '1,2,3').split(',').map(Number);
const PARTITIONS = 64;
/** The routers' durable consumer of customer messages (docs/operations.md §5). */
const ROUTER_INBOUND_CONSUMER = 'parley-router-inbound';
const TENANT = 'bench';
/** The channel and queue of `configFolder`. */
const CHANNEL = 'whatsapp';
const QUEUE = 'support';
/** Giving up on a phase: far above what the workload needs. */
const PHASE_TIMEOUT_MS = Math.max(60_000, MESSAGES * 60);
const TIMELINE_EVERY_MS = 10_000;
/**
 * Latency is also measured without a backlog: after the load, new customers write at a
 * steady pace the routers keep up with, and each first message is timed to its offer.
 */
const PACED_CUSTOMERS = Math.max(10, Math.round(100 * SCALE));
const PACED_PER_SECOND = 10;
/**
 * New customers arriving in the middle of the burst (their first message published at
 * evenly spaced points of it): each is timed to its first offer. Agents are free then, so
 * this is the time a new customer's first message waits behind the backlog. Twenty, so
 * that a p50 moves less from run to run than it did over five.
 */
const PROBES = 20;
/**
 * New customers of each wave of the last phase, which measures the heap per active
 * conversation: it comes once the routers are warm, so what compiling and caching the code
 * takes the first time is not counted as the conversations'. Not scaled: fewer would not
 * show above what a router's heap gains and loses meanwhile. Waves of 1,000 moved by up to
 * 700 bytes per conversation from run to run (code compiled for the first waiting
 * conversations, hash tables doubling), waves of 2,000 by up to 500.
 */
const MEMORY_WAVE = 2_000;
/** The routers' retained heap is read again every half second until it moves less than this, at most this many times. */
const SETTLED_BYTES = 32 * 1024;
const SETTLE_READINGS = 10;
/** Customers with a closed conversation before the run (`seedHistory`); BENCH_HISTORY=0 runs on empty tables. */
const HISTORY = Math.round(Number(process.env.BENCH_HISTORY ?? 20_000) * SCALE);


const benchStarted = performance.now();
const progress = (text: string) => console.error(`[cluster ${((performance.now() - benchStarted) / 1000).toFixed(1)} s] ${text}`);
const round = (n: number) => Math.round(n * 10) / 10;
const perSecond = (count: number, ms: number) => Math.round((count / ms) * 1000);

/** The workload: customer `i`'s message `n` (the same envelopes in every phase, distinct per run by `run`). */
function envelope(run: string, i: number, n: number): InboundMessage {
  return {
    version: 1,
    tenant: TENANT,
    channel: CHANNEL,
    messageId: `wamid.${run}.${i}.${n}`,
    timestamp: new Date().toISOString(),
    from: { id: `+3361${String(i).padStart(7, '0')}`, idType: 'phone' },
    text: n === 0 ? `Hello, this is customer ${i}` : `Customer ${i} again: any news?`,
  };
}

/**
 * Publish order: customers in chunks, each chunk's first messages then its follow-ups.
 * `timed`: the message ids of every SAMPLE_EVERY-th customer's first message.
 */
function workload(run: string) {
  const perChunk = PUBLISH_CHUNK / MESSAGES_EACH;
  const envelopes: InboundMessage[] = [];
  const timed = new Set<string>();
  for (let from = 0; from < CONVERSATIONS; from += perChunk) {
    for (let n = 0; n < MESSAGES_EACH; n++) {
      for (let i = from; i < Math.min(CONVERSATIONS, from + perChunk); i++) {
        const e = envelope(run, i, n);
        envelopes.push(e);
        if (n === 0 && i % SAMPLE_EVERY === 0) timed.add(e.messageId);
      }
    }
  }
  return { envelopes, timed };
}

/** The burst with PROBES new customers' first messages slipped in at evenly spaced points; `probes`: their message ids. */
function burstWithProbes(run: string) {
  const { envelopes, timed } = workload(run);
  const probes = new Set<string>();
  for (let k = PROBES; k >= 1; k--) {
    const e = envelope(`${run}-probe`, 3_000_000 + k, 0);
    probes.add(e.messageId);
    envelopes.splice(Math.round((envelopes.length * k) / (PROBES + 1)), 0, e);
  }
  return { envelopes, timed, probes };
}

/**
 * The history a database in service holds, and its statistics: HISTORY customers of the
 * channel, each with a conversation closed before the run and its message, then ANALYZE,
 * as autovacuum does within a minute of a table's first changes. Without it the first
 * burst runs on tables never analyzed, and the planner, with no statistics to tell them
 * apart, may take any index that matches the open-conversation lookup's tenant and
 * channel (docs/cluster.md §15). Its customers never write during the run.
 */
async function seedHistory(db: Kysely<Database>): Promise<void> {
  if (HISTORY === 0) return;
  const closedAt = new Date(Date.now() - 86_400_000).toISOString();
  for (let from = 0; from < HISTORY; from += 5_000) {
    const n = Math.min(5_000, HISTORY - from);
    await sql`
      with h as (
        select gen_random_uuid() as customer, gen_random_uuid() as conversation, '+3369' || lpad(i::text, 7, '0') as phone
        from generate_series(${from}::int, ${from + n - 1}::int) as i),
      c as (insert into customers (id, tenant, name) select customer, ${TENANT}, null from h),
      ids as (
        insert into identities (tenant, kind, channel, value, customer_id)
        select ${TENANT}, 'channel', ${CHANNEL}, 'phone:' || phone, customer from h
        union all select ${TENANT}, 'phone', '', phone, customer from h),
      conv as (
        insert into conversations (id, tenant, channel, customer_id, external_id, state, queue, last_message_at, closed_at, snapshot, partition)
        select conversation, ${TENANT}, ${CHANNEL}, customer, 'phone:' || phone, 'closed', ${QUEUE}, ${closedAt}::timestamptz, ${closedAt}::timestamptz,
               jsonb_build_object('value', 'closed', 'context', jsonb_build_object('id', conversation, 'tenant', ${TENANT}::text)), 0
        from h)
      insert into messages (id, tenant, conversation_id, customer_id, channel, direction, platform_message_id, text, sent_at)
      select gen_random_uuid(), ${TENANT}, conversation, customer, ${CHANNEL}, 'inbound', 'wamid.history.' || phone, 'An earlier question', ${closedAt}::timestamptz
      from h`.execute(db);
  }
  await sql`analyze`.execute(db);
}

/** Publishes as fast as JetStream accepts: PUBLISH_CHUNK in flight, each chunk awaited. */
async function publishAll(nc: NatsConnection, envelopes: InboundMessage[], published?: (e: InboundMessage, at: number) => void): Promise<void> {
  const js = jetstream(nc);
  const subject = subjects.inbound(TENANT, CHANNEL);
  for (let from = 0; from < envelopes.length; from += PUBLISH_CHUNK) {
    await Promise.all(
      envelopes.slice(from, from + PUBLISH_CHUNK).map((e) => {
        published?.(e, performance.now());
        return js.publish(subject, encode(e), { msgID: inboundMsgId(e.tenant, e.channel, e.messageId) });
      }),
    );
  }
}

/** Fresh NATS and PostgreSQL for `fn`, stopped whatever happens. */
async function withServices<T>(fn: (services: TestServices) => Promise<T>): Promise<T> {
  const services = await startTestServices();
  try {
    return await fn(services);
  } finally {
    await services.stop();
  }
}

/**
 * Group commit into `bench_raw`: rows submitted while an insert commits go into the
 * next one (up to MAX_BATCH); each submit resolves after its row's commit.
 */
function groupCommitWriter(store: Store) {
  const pending: { id: string; body: string; done: () => void; failed: (err: unknown) => void }[] = [];
  let writing = false;
  let committed = 0;
  const drain = async () => {
    writing = true;
    while (pending.length > 0) {
      const batch = pending.splice(0, MAX_BATCH);
      try {
        const values = sql.join(batch.map((r) => sql`(${r.id}, ${r.body}::jsonb)`));
        await sql`insert into bench_raw (id, body) values ${values} on conflict (id) do nothing`.execute(store.db);
        committed += batch.length;
        for (const r of batch) r.done();
      } catch (err) {
        for (const r of batch) r.failed(err);
      }
    }
    writing = false;
  };
  return {
    get committed() {
      return committed;
    },
    submit(id: string, body: string): Promise<void> {
      return new Promise((done, failed) => {
        pending.push({ id, body, done, failed });
        if (!writing) void drain();
      });
    },
  };
}

/** The baseline: JetStream → durable pull consumer → group-committed inserts → ack. No routing. */
async function runRawPipeline() {
  return withServices(async (services) => {
    const nc = await connect({ servers: services.natsUrl });
    const store = await openStore({ url: services.databaseUrl });
    let loop: { stop(): Promise<void> } | undefined;
    try {
      await ensureStreams(nc);
      await sql`create table bench_raw (id text primary key, body jsonb not null)`.execute(store.db);
      const writer = groupCommitWriter(store);
      loop = await startConsumeLoop(nc, {
        stream: 'PARLEY_INBOUND',
        durable: 'bench-raw',
        concurrency: MAX_BATCH,
        handle: async (msg) => {
          const body = msg.string();
          await writer.submit((JSON.parse(body) as InboundMessage).messageId, body);
          return { ack: true };
        },
        onError: (err) => progress(`raw consumer: ${String(err)}`),
      });
      const { envelopes } = workload('raw');
      // No router here: this process publishes and is the pipeline (its CPU is the load generator's).
      const meter = await PhaseMeter.start(store.db, () => Promise.resolve(0));
      const started = performance.now();
      await publishAll(nc, envelopes);
      progress(`raw: ${MESSAGES} published in ${Math.round(performance.now() - started)} ms`);
      await waitFor(() => (writer.committed >= MESSAGES ? true : undefined), { timeoutMs: PHASE_TIMEOUT_MS, intervalMs: 10, what: `${MESSAGES} rows committed` });
      const ms = performance.now() - started;
      const cost = costPer(await meter.end(), MESSAGES);
      const rows = await sql<{ n: string }>`select count(*) as n from bench_raw`.execute(store.db);
      const result = {
        messages: Number(rows.rows[0]?.n),
        ms: Math.round(ms),
        perSecond: perSecond(MESSAGES, ms),
        consumerConcurrency: MAX_BATCH,
        maxRowsPerInsert: MAX_BATCH,
        costPerMessage: { pipelineCpuMs: cost.loadGeneratorCpuMs, postgresCpuMs: cost.postgresCpuMs, otherCpuMs: cost.otherCpuMs, machineCpuMs: cost.machineCpuMs, machineBusy: cost.machineBusy },
      };
      progress(`raw: ${JSON.stringify(result)}`);
      return result;
    } finally {
      await loop?.stop();
      await store.close();
      await nc.close();
    }
  });
}

/** Values of a router's Prometheus text, by metric name. */
async function metricsOf(router: RouterProcess): Promise<(name: string) => number> {
  const text = await router.metrics();
  return (name: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    if (!line) throw new Error(`router ${router.nodeId}: no ${name} in /metrics`);
    return Number(line.trim().split(/\s+/).at(-1));
  };
}

/** A router's resident set and used heap (garbage not collected yet included), from its Prometheus text. */
async function memoryOf(router: RouterProcess): Promise<{ rss: number; heap: number }> {
  const value = await metricsOf(router);
  return { rss: value('process_resident_memory_bytes'), heap: value('nodejs_heap_size_used_bytes') };
}

/** The heap the routers retain, summed: each collected first, through its inspector (see `retainedHeap`). */
async function retainedHeapOfAll(routers: RouterProcess[]): Promise<RetainedHeap> {
  const all = await Promise.all(
    routers.map((router) => {
      const url = inspectorUrlOf(router.stderr);
      if (!url) throw new Error(`router ${router.nodeId} printed no inspector address: ${router.stderr.slice(0, 400)}`);
      return retainedHeap(url);
    }),
  );
  return { used: all.reduce((sum, h) => sum + h.used, 0), code: all.reduce((sum, h) => sum + h.code, 0) };
}

/** The routers' CPU seconds so far (user + system), summed. */
async function routerCpuOf(routers: RouterProcess[]): Promise<number> {
  const all = await Promise.all(routers.map(async (r) => (await metricsOf(r))('process_cpu_seconds_total')));
  return all.reduce((sum, s) => sum + s, 0);
}

async function memoryOfAll(routers: RouterProcess[]) {
  const all = await Promise.all(routers.map(memoryOf));
  return { rss: all.reduce((s, m) => s + m.rss, 0), heap: all.reduce((s, m) => s + m.heap, 0) };
}

/** Every router sees every member, the 64 partitions are owned once each, and the queue has a leader. */
async function clusterSettled(routers: RouterProcess[]) {
  return waitFor(
    async () => {
      const views = await Promise.all(routers.map((r) => r.cluster()));
      const owned = views.flatMap((v) => v.owned);
      const allMembers = views.every((v) => routers.every((r) => v.members.includes(r.nodeId)));
      const queueLed = views.some((v) => v.queues.some((q) => q.tenant === TENANT && q.queue === QUEUE));
      return allMembers && owned.length === PARTITIONS && new Set(owned).size === PARTITIONS && queueLed ? views : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200, what: `${routers.length} routers sharing ${PARTITIONS} partitions` },
  );
}

/** Stops a router gracefully; one that has not exited after 30 s is killed. */
async function stopRouter(router: RouterProcess): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), 30_000)));
  const outcome = await Promise.race([router.stop(), late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    progress(`router ${router.nodeId} did not stop within 30 s: killed`);
    await router.kill();
  }
}


/** AGENTS agents, configured and available, 20 at a time; added to `agents` as they are created. */
/** Warnings and errors each router logged, counted by message (with the first of each), its stderr, and whether it exited. */
function routerLogSummary(routers: RouterProcess[]) {
  return routers.flatMap((r) => {
    const byMsg = new Map<string, { n: number; first: Record<string, unknown> }>();
    for (const l of r.log) {
      if (l.level !== 'warn' && l.level !== 'error') continue;
      const key = `${String(l.level)} "${String(l.msg)}"`;
      const seen = byMsg.get(key);
      if (seen) seen.n++;
      else byMsg.set(key, { n: 1, first: l });
    }
    return [
      ...[...byMsg].map(([key, { n, first }]) => `${r.nodeId}: ${n} × ${key}, first: ${JSON.stringify(first).slice(0, 600)}`),
      ...(r.stderr ? [`${r.nodeId} stderr: ${r.stderr.slice(-2_000)}`] : []),
      ...(r.running ? [] : [`${r.nodeId}: exited (${r.child.exitCode ?? r.child.signalCode})`]),
    ];
  });
}

/** `count` more agents (named on from those in `agents`), configured with CAPACITY and available, twenty at a time. */
async function startAgents(nc: NatsConnection, agents: Map<string, AgentDriver>, count = AGENTS): Promise<void> {
  const first = agents.size;
  for (let from = 0; from < count; from += 20) {
    const batch = Array.from({ length: Math.min(20, count - from) }, (_, k) => new AgentDriver(nc, TENANT, `agent-${first + from + k}`));
    for (const agent of batch) agents.set(agent.id, agent);
    await Promise.all(
      batch.map(async (agent) => {
        await agent.configure([], { message: CAPACITY });
        await agent.presence('available');
      }),
    );
  }
}

/** Inbound messages stored, and conversations by state. */
/**
 * Transactions committed in the benchmark's database so far, by every session (the
 * routers' writes and reads, and this process's polling, about 20 a second).
 */
async function commitsSoFar(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ n: string }>`select xact_commit as n from pg_stat_database where datname = current_database()`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

/** The run's conversations by state (see `RunCounts.conversations`). */
type Conversations = Awaited<ReturnType<RunCounts['conversations']>>;

/**
 * What the run has stored and routed so far. It is read every 100 ms while the routers
 * work, so it must cost the database it measures little: the run's conversations by state
 * through an index range of those created since the run began (the history's are older),
 * and the messages stored counted only once NATS says the routers hold no inbound message
 * unacknowledged (they acknowledge after the commit that stores it). Counting whole tables
 * at every reading cost the machine about 0.1 ms more per conversation over the burst
 * (`otherCpuMs`, where this process's database backends fall), which the raw pipeline,
 * counting in its own process, did not pay.
 */
class RunCounts {
  private constructor(
    private readonly db: Kysely<Database>,
    private readonly jsm: JetStreamManager,
    private readonly since: Date,
  ) {}

  /** Counts from now on (after `seedHistory`): what the database holds already is not the run's. */
  static async start(db: Kysely<Database>, nc: NatsConnection): Promise<RunCounts> {
    const { rows } = await sql<{ now: Date }>`select now() as now`.execute(db);
    return new RunCounts(db, await jetstreamManager(nc), rows[0]?.now as Date);
  }

  /** The run's conversations by state; `open`: not closed. */
  async conversations() {
    const { rows } = await sql<{ state: string; n: string }>`
      select state, count(*) as n from conversations
      where tenant = ${TENANT} and created_at >= ${this.since}
      group by state order by state`.execute(this.db);
    const conversations: Record<string, number> = {};
    for (const r of rows) conversations[r.state] = Number(r.n);
    const open = Object.entries(conversations).reduce((sum, [state, n]) => (state === 'closed' ? sum : sum + n), 0);
    return { connected: conversations.connected ?? 0, open, conversations };
  }

  /** Customer messages of the run's conversations stored. */
  async stored(): Promise<number> {
    const { rows } = await sql<{ n: string }>`
      select count(*) as n from messages m join conversations c on c.id = m.conversation_id
      where c.tenant = ${TENANT} and c.created_at >= ${this.since} and m.direction = 'inbound'`.execute(this.db);
    return Number(rows[0]?.n);
  }

  /** `stored()`, once the routers have acknowledged every inbound message published so far; undefined before. */
  async storedOnceSettled(): Promise<number | undefined> {
    const { num_pending: pending, num_ack_pending: unacknowledged } = await this.jsm.consumers.info(streams.inbound.name, ROUTER_INBOUND_CONSUMER);
    return pending === 0 && unacknowledged === 0 ? this.stored() : undefined;
  }
}

/**
 * The agents and assignments as stored at the end of a phase: presence (an agent that
 * missed offers in a row is set away), ringing offers, active conversations held (their
 * assignments), and the mean size of an agent's snapshot row (as JSON text).
 */
async function agentsAtEnd(db: Kysely<Database>) {
  const [agents, assignments] = await Promise.all([
    sql<{ presence: string; agents: string; offers: string; active: string; bytes: string }>`
      select presence, count(*) as agents,
             coalesce(sum(jsonb_array_length(snapshot->'context'->'offers')), 0) as offers,
             round(avg(octet_length(snapshot::text))) as bytes,
             coalesce(sum((select count(*) from assignments s where s.tenant = agents.tenant and s.agent_id = agents.id and s.holds_slot)), 0) as active
      from agents group by presence order by presence`.execute(db),
    sql<{ state: string; n: string }>`select state, count(*) as n from assignments group by state order by state`.execute(db),
  ]);
  return {
    byPresence: Object.fromEntries(agents.rows.map((r) => [r.presence, { agents: Number(r.agents), offersRinging: Number(r.offers), activeConversations: Number(r.active), snapshotRowBytes: Number(r.bytes) }])),
    assignments: Object.fromEntries(assignments.rows.map((r) => [r.state, Number(r.n)])),
  };
}

/** Parley with `count` router processes, on fresh services. */
/** New customers at PACED_PER_SECOND; publish → first offer per customer, once every one was offered. */
async function pacedLatency(nc: NatsConnection, db: Kysely<Database>, firstOffer: Map<string, number>, run: string) {
  const js = jetstream(nc);
  const sentAt = new Map<string, number>();
  for (let i = 0; i < PACED_CUSTOMERS; i++) {
    const e = envelope(`${run}-paced`, 1_000_000 + i, 0);
    sentAt.set(externalIdOf(e.from), performance.now());
    await js.publish(subjects.inbound(TENANT, CHANNEL), encode(e), { msgID: inboundMsgId(e.tenant, e.channel, e.messageId) });
    await new Promise((resolve) => setTimeout(resolve, 1_000 / PACED_PER_SECOND));
  }
  const latencies = await waitFor(
    async () => {
      const rows = await db.selectFrom('conversations').select(['id', 'external_id']).where('external_id', 'in', [...sentAt.keys()]).execute();
      const measured = rows.flatMap((r) => {
        const offered = firstOffer.get(r.id);
        return offered === undefined ? [] : [offered - (sentAt.get(r.external_id) as number)];
      });
      return measured.length === PACED_CUSTOMERS ? measured.sort((a, b) => a - b) : undefined;
    },
    { what: `${PACED_CUSTOMERS} paced customers offered`, timeoutMs: 60_000, intervalMs: 100 },
  );
  return { perSecond: PACED_PER_SECOND, p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)), samples: latencies.length };
}

/**
 * Every customer writes MESSAGES_EACH follow-ups at once (the conversations are connected by
 * now), with PROBES new customers' first messages at evenly spaced points; publish → first
 * offer per new customer, once every message is stored.
 */
async function newCustomersBehindFollowUps(nc: NatsConnection, db: Kysely<Database>, runCounts: RunCounts, routers: RouterProcess[], firstOffer: Map<string, number>, run: string) {
  const envelopes: InboundMessage[] = [];
  for (let n = MESSAGES_EACH; n < 2 * MESSAGES_EACH; n++) for (let i = 0; i < CONVERSATIONS; i++) envelopes.push(envelope(run, i, n));
  const probes = new Set<string>();
  for (let k = PROBES; k >= 1; k--) {
    const e = envelope(`${run}-behind`, 2_000_000 + k, 0);
    probes.add(e.messageId);
    envelopes.splice(Math.round((envelopes.length * k) / (PROBES + 1)), 0, e);
  }
  const storedBefore = await runCounts.stored();
  const sentAt = new Map<string, number>();
  // What a follow-up costs (the few new customers are in it too).
  const meter = await PhaseMeter.start(db, () => routerCpuOf(routers));
  let sampledAt = performance.now();
  const sample = async () => {
    if (performance.now() - sampledAt < 1_000) return;
    sampledAt = performance.now();
    await meter.sample();
  };
  const started = performance.now();
  await publishAll(nc, envelopes, (e, at) => {
    if (probes.has(e.messageId)) sentAt.set(externalIdOf(e.from), at);
  });
  const latencies = await waitFor(
    async () => {
      await sample();
      const rows = await db.selectFrom('conversations').select(['id', 'external_id']).where('external_id', 'in', [...sentAt.keys()]).execute();
      const measured = rows.flatMap((r) => {
        const offered = firstOffer.get(r.id);
        return offered === undefined ? [] : [offered - (sentAt.get(r.external_id) as number)];
      });
      return measured.length === PROBES ? measured.sort((a, b) => a - b) : undefined;
    },
    { what: `${PROBES} new customers behind follow-ups offered`, timeoutMs: PHASE_TIMEOUT_MS, intervalMs: 50 },
  );
  const probesDoneMs = performance.now() - started;
  await waitFor(async () => (await sample(), ((await runCounts.storedOnceSettled()) ?? 0) >= storedBefore + envelopes.length ? true : undefined), {
    what: `${envelopes.length} follow-ups and new customers stored`,
    timeoutMs: PHASE_TIMEOUT_MS,
    intervalMs: 100,
  });
  const storedMs = performance.now() - started;
  const cost = await meter.end();
  const followUps = envelopes.length - PROBES;
  return {
    followUps,
    p50: round(percentile(latencies, 50)),
    max: round(latencies.at(-1) ?? NaN),
    samples: latencies.length,
    allNewOfferedAfterMs: Math.round(probesDoneMs),
    allStoredAfterMs: Math.round(storedMs),
    storedPerSecond: perSecond(envelopes.length, storedMs),
    costPerFollowUp: costPer(cost, followUps),
  };
}

/**
 * The heap per active conversation, once the routers are warm: a wave of MEMORY_WAVE new
 * customers with room for all of them (more agents, started before the measure), then
 * another with every agent away, which waits in the queue. For each, the heap the routers
 * retain more once it is connected or waiting (collected before and after, compiled code
 * left out), per conversation.
 */
async function heapPerActiveConversation(nc: NatsConnection, runCounts: RunCounts, routers: RouterProcess[], agents: Map<string, AgentDriver>, run: string) {
  const start = await runCounts.conversations();
  const more = Math.max(0, Math.ceil((MEMORY_WAVE - (agents.size * CAPACITY - start.connected)) / CAPACITY));
  await startAgents(nc, agents, more);
  const connected = await memoryWave(nc, runCounts, routers, `${run}-connected`, 4_000_000, (before, now) => now.connected === before.connected + MEMORY_WAVE);
  await Promise.all([...agents.values()].map((agent) => agent.presence('away')));
  const waiting = await memoryWave(nc, runCounts, routers, `${run}-waiting`, 5_000_000, (before, now) => (now.conversations.queued ?? 0) === (before.conversations.queued ?? 0) + MEMORY_WAVE);
  return { connected, waiting };
}

/** MEMORY_WAVE new customers, and the heap the routers retain more once `done` (collected before and after, code left out), per conversation. */
async function memoryWave(
  nc: NatsConnection,
  runCounts: RunCounts,
  routers: RouterProcess[],
  run: string,
  firstCustomer: number,
  done: (before: Conversations, now: Conversations) => boolean,
) {
  const start = await runCounts.conversations();
  const before = await retainedHeapOfAll(routers);
  await publishAll(nc, Array.from({ length: MEMORY_WAVE }, (_, i) => envelope(run, firstCustomer + i, 0)));
  await waitFor(
    async () => {
      const now = await runCounts.conversations();
      return now.open === start.open + MEMORY_WAVE && done(start, now) ? true : undefined;
    },
    { what: `${MEMORY_WAVE} more conversations (${run})`, timeoutMs: PHASE_TIMEOUT_MS, intervalMs: 100 },
  );
  // Work still on its way (the last acks, the state feed, the outbox) holds some memory for a moment: read until it settles.
  let after = await retainedHeapOfAll(routers);
  for (let reading = 1; reading < SETTLE_READINGS; reading++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const again = await retainedHeapOfAll(routers);
    const moved = Math.abs(again.used - after.used);
    after = again;
    if (moved < SETTLED_BYTES) break;
  }
  const growth = after.used - before.used;
  const codeGrowth = after.code - before.code;
  return { conversations: MEMORY_WAVE, retainedGrowthBytes: growth, codeGrowthBytes: codeGrowth, bytesPerConversation: Math.round((growth - codeGrowth) / MEMORY_WAVE) };
}

/**
 * A phase's cost per conversation (or follow-up): the routers', PostgreSQL's, this
 * process's and the whole machine's CPU, and what of the machine's none of those three
 * spent (`otherCpuMs`: mostly the NATS server, with this process's own database
 * connections and the kernel's share not charged to a process), and WAL bytes.
 */
function costPer(cost: PhaseCost, count: number) {
  const per = (n: number | null, scale: number) => (n === null ? null : Math.round((n * scale * 100) / count) / 100);
  const other = cost.machineCpuSeconds === null ? null : cost.machineCpuSeconds - cost.routerCpuSeconds - (cost.postgresCpuSeconds ?? 0) - cost.loadGeneratorCpuSeconds;
  return {
    routerCpuMs: per(cost.routerCpuSeconds, 1000),
    postgresCpuMs: per(cost.postgresCpuSeconds, 1000),
    loadGeneratorCpuMs: per(cost.loadGeneratorCpuSeconds, 1000),
    otherCpuMs: per(other, 1000),
    machineCpuMs: per(cost.machineCpuSeconds, 1000),
    machineBusy: cost.machineBusy,
    walBytes: per(cost.walBytes, 1),
    serverWalBytes: per(cost.serverWalBytes, 1),
    phase: cost,
  };
}

async function runParley(count: number, configDir: string, rawPerSecond: number) {
  return withServices(async (services) => {
    const routers: RouterProcess[] = [];
    const agents = new Map<string, AgentDriver>();
    let nc: NatsConnection | undefined;
    let store: Store | undefined;
    try {
      for (let i = 0; i < count; i++) {
        // The inspector (on a free local port) lets `retainedHeapOfAll` collect garbage before reading the heap.
        routers.push(await RouterProcess.start({ natsUrl: services.natsUrl, databaseUrl: services.databaseUrl, nodeId: `router-${i}`, configDir, nodeArgs: ['--inspect=127.0.0.1:0'] }));
      }
      await clusterSettled(routers);
      progress(`${count} router(s): cluster settled`);
      nc = await connect({ servers: services.natsUrl });
      // Named, so that the PostgreSQL CPU measured leaves this process's polling out.
      const benchUrl = new URL(services.databaseUrl);
      benchUrl.searchParams.set('application_name', BENCH_APPLICATION);
      store = await openStore({ url: benchUrl.toString(), poolSize: 2 });
      await seedHistory(store.db);
      const runCounts = await RunCounts.start(store.db, nc);

      // The first offer for each conversation, as it reaches this process; every offer is
      // accepted at once. (AgentDriver.autoAccept would leave an hour-long wait pending
      // after stop(), keeping this process alive: the accept is sent from here instead.)
      const firstOffer = new Map<string, number>();
      const offers = { created: 0, offerIds: new Set<string>(), revoked: {} as Record<string, number>, acceptRefused: {} as Record<string, number> };
      const tally = (into: Record<string, number>, key: string) => (into[key] = (into[key] ?? 0) + 1);
      nc.subscribe(subjects.agentEvents(TENANT, '>'), {
        callback: (_err, msg) => {
          const event = msg.json<AgentEvent>();
          if (event.type === 'offer.revoked') tally(offers.revoked, event.reason);
          if (event.type !== 'offer.created') return;
          offers.created++;
          offers.offerIds.add(event.offerId);
          if (!firstOffer.has(event.conversationId)) firstOffer.set(event.conversationId, performance.now());
          agents
            .get(event.agentId)
            ?.command({ type: 'offer.accept', offerId: event.offerId })
            .then((r) => (r.ok ? undefined : tally(offers.acceptRefused, r.error?.code ?? 'unknown')))
            .catch(() => tally(offers.acceptRefused, 'no result within 10 s'));
        },
      });
      await startAgents(nc, agents);
      progress(`${count} router(s): ${AGENTS} agents available`);
      const before = await memoryOfAll(routers);

      const sampled = new Map<string, number>();
      const probed = new Map<string, number>();
      const { envelopes, timed, probes } = burstWithProbes(`r${count}`);
      const commitsBefore = await commitsSoFar(store.db);
      const meter = await PhaseMeter.start(store.db, () => routerCpuOf(routers));
      let sampledAt = performance.now();
      const started = performance.now();
      await publishAll(nc, envelopes, (e, at) => {
        if (timed.has(e.messageId)) sampled.set(externalIdOf(e.from), at);
        if (probes.has(e.messageId)) probed.set(externalIdOf(e.from), at);
      });
      progress(`${count} router(s): ${MESSAGES} published in ${Math.round(performance.now() - started)} ms`);

      let storedAt: number | undefined;
      let routedAt: number | undefined;
      let last: Conversations = { connected: 0, open: 0, conversations: {} };
      let stored = 0;
      // Where the run stands every 10 s: whether a slow phase still moves.
      const timeline: { s: number; stored: number; conversations: Record<string, number> }[] = [];
      const db = store.db;
      try {
        await waitFor(
          async () => {
            last = await runCounts.conversations();
            const now = performance.now();
            if (now - started >= (timeline.length + 1) * TIMELINE_EVERY_MS) {
              timeline.push({ s: Math.round((now - started) / 1000), stored: await runCounts.stored(), conversations: last.conversations });
              progress(`${count} router(s): ${JSON.stringify(timeline.at(-1))}`);
            }
            if (now - sampledAt >= 1_000) {
              sampledAt = now;
              await meter.sample();
            }
            if (storedAt === undefined) {
              stored = (await runCounts.storedOnceSettled()) ?? 0;
              if (stored >= MESSAGES + PROBES) storedAt = now;
            }
            if (routedAt === undefined && last.connected >= CONVERSATIONS + PROBES) routedAt = now;
            return storedAt !== undefined && routedAt !== undefined ? true : undefined;
          },
          { timeoutMs: PHASE_TIMEOUT_MS, intervalMs: 100, what: `${MESSAGES} messages stored and ${CONVERSATIONS} conversations connected` },
        );
      } catch (err) {
        const seen = `after ${Math.round((performance.now() - started) / 1000)} s: ${await runCounts.stored()}/${MESSAGES} messages stored, ${last.connected}/${CONVERSATIONS} conversations connected, ${firstOffer.size} offered`;
        progress(`${count} router(s): did not complete: ${seen}`);
        const log = routerLogSummary(routers);
        for (const line of log) progress(line);
        const atEnd = await agentsAtEnd(db);
        progress(`${count} router(s): agents at the end: ${JSON.stringify(atEnd)}`);
        return {
          routers: count,
          error: `${(err as Error).message}; ${seen}`,
          ...(storedAt !== undefined && { stored: { messages: MESSAGES, ms: Math.round(storedAt - started), perSecond: perSecond(MESSAGES, storedAt - started) } }),
          conversations: last.conversations,
          agentsAtEnd: atEnd,
          offers: { created: offers.created, distinct: offers.offerIds.size, revoked: offers.revoked, acceptRefused: offers.acceptRefused },
          timeline,
          routerLog: log,
        };
      }
      const after = await memoryOfAll(routers);
      const open = last.open;
      const commits = (await commitsSoFar(db)) - commitsBefore;
      const cost = await meter.end();

      const byExternal = new Map(
        (await db.selectFrom('conversations').select(['id', 'external_id']).execute()).map((c) => [c.external_id, c.id]),
      );
      const toOffer = (published: Map<string, number>) =>
        [...published]
          .flatMap(([external, at]) => {
            const offered = firstOffer.get(byExternal.get(external) ?? '');
            return offered === undefined ? [] : [offered - at];
          })
          .sort((a, b) => a - b);
      const latencies = toOffer(sampled);
      const probeLatencies = toOffer(probed);
      const paced = await pacedLatency(nc, db, firstOffer, `r${count}`);
      progress(`${count} router(s): paced latency ${JSON.stringify(paced)}`);
      const behindFollowUps = await newCustomersBehindFollowUps(nc, db, runCounts, routers, firstOffer, `r${count}`);
      progress(`${count} router(s): new customers behind follow-ups ${JSON.stringify(behindFollowUps)}`);
      const memory = await heapPerActiveConversation(nc, runCounts, routers, agents, `r${count}`);
      progress(`${count} router(s): heap per active conversation ${JSON.stringify(memory)}`);
      const storedMs = (storedAt as number) - started;
      const result = {
        routers: count,
        stored: { messages: stored, ms: Math.round(storedMs), perSecond: perSecond(MESSAGES, storedMs) },
        routedAllAfterMs: Math.round((routedAt as number) - started),
        offerLatencyMs: { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)), samples: latencies.length },
        offerLatencyAtSteadyPaceMs: paced,
        timeToFirstOfferUnderBurstMs: {
          firstOfAll: round(Math.min(...firstOffer.values()) - started),
          newCustomerMidBurst: { p50: round(percentile(probeLatencies, 50)), max: round(probeLatencies.at(-1) ?? NaN), samples: probeLatencies.length },
          newCustomerBehindFollowUps: behindFollowUps,
        },
        costPerConversation: costPer(cost, CONVERSATIONS + PROBES),
        memory: {
          openConversations: open,
          heapGrowthBytes: after.heap - before.heap,
          rssGrowthBytes: after.rss - before.rss,
        },
        offers: { created: offers.created, distinct: offers.offerIds.size, revoked: offers.revoked, acceptRefused: offers.acceptRefused },
        agentsAtEnd: await agentsAtEnd(db),
        heapPerActiveConversation: memory,
        heapBytesPerConversation: Math.max(memory.connected.bytesPerConversation, memory.waiting.bytesPerConversation),
        databaseCommitsPerConversation: round(commits / CONVERSATIONS),
        ratioToRaw: Math.round((perSecond(MESSAGES, storedMs) / rawPerSecond) * 1000) / 1000,
      };
      progress(`${count} router(s): ${JSON.stringify(result)}`);
      for (const line of routerLogSummary(routers)) progress(line);
      return result;
    } finally {
      for (const agent of agents.values()) agent.stop();
      await Promise.allSettled(routers.map(stopRouter));
      await store?.close();
      await nc?.close();
    }
  });
}

export async function runClusterBenchmark(): Promise<object> {
  const config = await configFolder(TENANT);
  const configDir = config.dir;
  try {
    progress(`workload: ${CONVERSATIONS} conversations × ${MESSAGES_EACH} messages, ${AGENTS} agents × ${CAPACITY}`);
    const rawPipeline = await runRawPipeline();
    const routers = [];
    for (const count of ROUTER_COUNTS) routers.push(await runParley(count, configDir, rawPipeline.perSecond));
    return {
      benchmark: 'cluster',
      machine: { cpus: cpus().length, node: process.version },
      workload: {
        conversations: CONVERSATIONS,
        messagesPerConversation: MESSAGES_EACH,
        messages: MESSAGES,
        agents: AGENTS,
        capacityPerAgent: { message: CAPACITY },
        publishInFlight: PUBLISH_CHUNK,
        partitions: PARTITIONS,
        offerLatencySample: `every ${SAMPLE_EVERY}th customer's first message`,
        newCustomersMidBurst: PROBES,
        historyConversations: HISTORY,
        memoryWave: MEMORY_WAVE,
      },
      baseline: { rawPipeline },
      routers,
      note:
        'stored.perSecond: first publish until every message is in the messages table; routedAllAfterMs: first publish until every conversation is connected. ' +
        `heapPerActiveConversation: once the routers are warm, ${MEMORY_WAVE} more new customers with agents free for all (connected), then ${MEMORY_WAVE} more with every agent away (waiting); the heap the routers retain more once each wave is connected or waiting (collected before and after, through their inspectors; summed over routers), compiled code left out, per conversation: ` +
        "the active actors kept in memory (compact persisted snapshots), the index of open conversations by customer, the scheduler's state; heapBytesPerConversation: the larger of the two. memory.heapGrowthBytes: the used heap's growth over the first burst as the routers report it (no collection: garbage included). " +
        'timeToFirstOfferUnderBurstMs: firstOfAll is first publish until the first offer.created of any conversation; newCustomerMidBurst is, for new customers whose first message is published at evenly spaced points of the burst, that publish until their first offer. ' +
        'newCustomerBehindFollowUps: once everything is routed, every customer writes again at once, with new customers at evenly spaced points of that burst; publish until their first offer; costPerFollowUp: that phase\'s cost (measured as costPerConversation) per follow-up. ' +
        'costPerConversation: over the first burst (first publish until everything is stored and routed; a conversation is two customer messages, an offer and its acceptance), ' +
        'the routers\' CPU (process_cpu_seconds_total), the CPU of the PostgreSQL backends serving the benchmark database except its own polling (utime+stime from /proc, sampled every second; ' +
        'the shared WAL writer and checkpointer not counted), this process\'s CPU (loadGeneratorCpuMs: the customers and agents it plays), the whole machine\'s busy CPU (/proc/stat) and what of it none of those spent (otherCpuMs: mostly the NATS server), ' +
        'the WAL records of the benchmark database\'s transactions (pg_walinspect), and the whole server\'s WAL (pg_current_wal_lsn difference, other databases included), each divided by the conversations; machineBusy: the machine\'s busy CPU over cores × the phase\'s wall time. ' +
        'baseline.rawPipeline.costPerMessage: the same per message of the raw pipeline (pipelineCpuMs: this process, which publishes and runs the pipeline). ' +
        'databaseCommitsPerConversation: transactions committed in the database from the first publish until everything is stored and routed (all sessions: ' +
        "the routers' writes and reads and this process's polling), per conversation. " +
        'Routers, NATS, PostgreSQL and the bench process share the same cores.',
    };
  } finally {
    await config.remove();
  }
}
