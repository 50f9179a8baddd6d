import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { AgentCommand, decode, encode, streams, subjects } from '../src/contract/index.ts';
import { CommandSender } from '../src/gateway/command-sender.ts';
import { signToken, startGateway } from '../src/gateway/index.ts';
import { gatewayMetrics } from '../src/gateway/metrics.ts';
import { createLogger } from '../src/observability/index.ts';
import { openStore } from '../src/store/index.ts';
import { commandResultOf } from '../test/gateway/fake-router.ts';
import { startTestServices } from '../test/support/services.ts';
import { percentile } from './random.ts';

/**
 * Agent commands through the gateway, against a bare fastify route as the baseline.
 *
 * Both answer `POST /v1/agents/:agentId/presence` by sending the same `presence.set`
 * command with the same `CommandSender` (subscribe to the agent's events, publish to
 * JetStream, wait for the `command.result`); a stand-in router in this process consumes
 * the commands and answers at once. The gateway adds what the baseline lacks: token
 * verification, rate limits, id and body validation, problem mapping, metrics and a
 * request log line (formatted, then discarded, for both). Rounds alternate between the
 * two so that the load of the shared machine falls on both alike; each figure is the
 * median over the rounds. `ratio` is gateway / baseline commands per second (≥ 1 is
 * faster than the baseline, which a gateway cannot be; what matters is how close).
 */
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const REQUESTS = Math.max(200, Math.round(4_000 * SCALE));
const CONCURRENCY = 32;
const AGENTS = 64;
const ROUNDS = 5;
const TENANT = 'bench';
const SECRET = 'bench-secret-0123456789abcdef0123456789';

interface Run {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time of this process per command (client, server and stand-in router alike): less swayed by other load on the machine than the rate. */
  cpuUsPerCommand: number;
}

export async function runGatewayBenchmark(): Promise<unknown> {
  const services = await startTestServices();
  const nc = await connect({ servers: services.natsUrl });
  const store = await openStore({ url: services.databaseUrl, poolSize: 4 });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: streams.commands.name, subjects: [...streams.commands.subjects] });
  const routerNc = await connect({ servers: services.natsUrl });
  const stopRouter = await standInRouter(routerNc);

  // Log lines are built as in production and then dropped: the terminal is not measured.
  const logger = createLogger({ component: 'gateway' }, { write: () => undefined });
  const gateway = await startGateway({ nc, db: store.db, secret: SECRET, registry: new Registry(), logger });
  const bare = await bareFastify(nc);

  const tokens = Array.from({ length: AGENTS }, (_, i) => signToken(SECRET, { sub: `agent-${i}`, tenant: TENANT, role: 'agent' }));
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const load = (baseUrl: string, requests: number) => drive(agent, baseUrl, tokens, requests);

  try {
    // Warm up both (JIT, connections, the stream's first messages).
    await load(bare.url, 400);
    await load(gateway.url, 400);
    const gatewayRuns: Run[] = [];
    const baselineRuns: Run[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      baselineRuns.push(await load(bare.url, REQUESTS));
      gatewayRuns.push(await load(gateway.url, REQUESTS));
    }
    const gw = median(gatewayRuns);
    const base = median(baselineRuns);
    return {
      benchmark: 'gateway',
      requests: REQUESTS,
      rounds: ROUNDS,
      concurrency: CONCURRENCY,
      gateway: gw,
      baseline: base,
      ratio: round2(gw.perSecond / base.perSecond),
      p99Ratio: round2(gw.p99Ms / base.p99Ms),
    };
  } finally {
    agent.destroy();
    await gateway.close();
    await bare.close();
    await stopRouter();
    await routerNc.close();
    await nc.close();
    await store.close();
    await services.stop();
  }
}

/** The baseline: fastify with one route and nothing else, sending the same command. */
async function bareFastify(nc: NatsConnection): Promise<{ url: string; close(): Promise<void> }> {
  const commands = new CommandSender(nc, 10_000, gatewayMetrics(new Registry()));
  const app = Fastify();
  app.post<{ Params: { agentId: string }; Body: { presence: string } }>('/v1/agents/:agentId/presence', async (req) => {
    const sent = await commands.send({ type: 'presence.set', tenant: TENANT, agentId: req.params.agentId, presence: req.body.presence });
    return { commandId: sent.commandId };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      commands.close();
      await app.close();
    },
  };
}

/** Plays the router: takes every command from the stream and answers `ok` at once. */
async function standInRouter(nc: NatsConnection): Promise<() => Promise<void>> {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(streams.commands.name, { durable_name: 'bench-router', ack_policy: AckPolicy.None });
  const consumer = await jetstream(nc).consumers.get(streams.commands.name, 'bench-router');
  const messages = await consumer.consume({ max_messages: 512 });
  const done = (async () => {
    for await (const msg of messages) {
      const decoded = decode(AgentCommand, msg.data);
      if (!decoded.ok) continue;
      const command = decoded.value;
      nc.publish(subjects.agentEvents(command.tenant, command.agentId), encode(commandResultOf(command, { ok: true })));
    }
  })();
  return async () => {
    await messages.close();
    await done;
  };
}

/** `requests` presence commands, `CONCURRENCY` at a time, spread over the agents. */
async function drive(agent: Agent, baseUrl: string, tokens: string[], requests: number): Promise<Run> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const worker = async () => {
    while (next < requests) {
      const i = next++;
      const agentIndex = i % tokens.length;
      const t0 = performance.now();
      const status = await post(agent, `${baseUrl}/v1/agents/agent-${agentIndex}/presence`, tokens[agentIndex] as string, '{"presence":"available"}');
      if (status !== 200) throw new Error(`${baseUrl} answered ${status}`);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  const { user, system } = process.cpuUsage(cpu);
  latencies.sort((a, b) => a - b);
  return {
    perSecond: Math.round(requests / seconds),
    p50Ms: round2(percentile(latencies, 50)),
    p99Ms: round2(percentile(latencies, 99)),
    cpuUsPerCommand: Math.round((user + system) / requests),
  };
}

function post(agent: Agent, url: string, token: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function median(runs: Run[]): Run {
  const mid = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  return {
    perSecond: mid(runs.map((r) => r.perSecond)),
    p50Ms: mid(runs.map((r) => r.p50Ms)),
    p99Ms: mid(runs.map((r) => r.p99Ms)),
    cpuUsPerCommand: mid(runs.map((r) => r.cpuUsPerCommand)),
  };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
