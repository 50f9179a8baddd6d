import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, AckPolicy, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { context, propagation, trace, type Context } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextOfHeaders, inMessagingSpan, withTraceHeaders } from '../../src/bus/index.ts';
import { encode, inboundMsgId, streams, subjects, type AgentEvent, type InboundMessage, type OutboundMessage } from '../../src/contract/index.ts';
import { CommandSender } from '../../src/gateway/command-sender.ts';
import { gatewayMetrics } from '../../src/gateway/metrics.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { configFolder, type ConfigFolder } from '../support/config-folder.ts';
import { trackChild } from '../support/process-cleanup.ts';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.ts';

/**
 * One customer message followed across NATS hops: a real `parley router` process (as
 * `bin/parley.js` runs it in production, tracing on through OTEL_EXPORTER_OTLP_ENDPOINT)
 * sends its spans to an in-process OTLP collector; this test plays the channel adapter
 * and the agent's gateway with its own tracer. Real NATS and PostgreSQL.
 */

const tenant = 'acme';
const PRODUCER = 4;
const CONSUMER = 5;
const INTERNAL = 1;
const CLIENT = 3;
const SERVER = 2;

let services: TestServices;
let config: ConfigFolder;
let receiver: OtlpReceiver;
let nc: NatsConnection;
const local = new InMemorySpanExporter();
let sdk: NodeSDK;
const routers: ChildProcess[] = [];
let routerLog: Record<string, unknown>[];

/** Starts `node bin/parley.js router` as production does, tracing to the receiver; resolves with its log once it is ready. */
async function startRouterProcess(nodeId: string, env: Record<string, string>): Promise<Record<string, unknown>[]> {
  const child = spawn(process.execPath, ['bin/parley.js', 'router'], {
    env: {
      ...process.env,
      NATS_URL: services.natsUrl,
      DATABASE_URL: services.databaseUrl,
      PARLEY_CONFIG: config.dir,
      PARLEY_OPS_PORT: '0',
      PARLEY_NODE_ID: nodeId,
      PARLEY_LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      // Export at once rather than every 5 s.
      OTEL_BSP_SCHEDULE_DELAY: '100',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  routers.push(child);
  const log: Record<string, unknown>[] = [];
  let pending = '';
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout?.on('data', (c: Buffer) => {
    pending += c.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      try {
        log.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
  });
  await waitFor(() => (child.exitCode !== null ? Promise.reject(new Error(`router exited: ${stderr}`)) : log.find((l) => l.msg === 'router ready')), {
    what: `router ${nodeId} to be ready`,
    timeoutMs: 60_000,
  });
  return log;
}

beforeAll(async () => {
  [services, config, receiver] = await Promise.all([startTestServices(), configFolder(tenant), startOtlpReceiver()]);
  // The test's own side (adapter, gateway): W3C propagation and spans kept in memory.
  sdk = new NodeSDK({ serviceName: 'parley-test', spanProcessors: [new SimpleSpanProcessor({ exporter: local })], instrumentations: [], logRecordProcessors: [] });
  sdk.start();
  // OTLP/JSON, which the receiver decodes.
  routerLog = await startRouterProcess('traced-router', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
  nc = await connect({ servers: services.natsUrl });
});

afterAll(async () => {
  for (const child of routers) {
    if (child.exitCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await nc?.drain();
  await sdk?.shutdown();
  await receiver?.close();
  await config?.remove();
  await services?.stop();
});

/** The first message on a core subject, with its headers. */
function nextOn(subject: string, match: (msg: Msg) => boolean): Promise<Msg> {
  return new Promise((resolve) => {
    const sub = nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err || !match(msg)) return;
        sub.unsubscribe();
        resolve(msg);
      },
    });
  });
}

describe('a trace across NATS hops', () => {
  it('follows one customer message from its publish through the router, the database, the offer, the agent command and the reply', async () => {
    const agent = new AgentDriver(nc, tenant, 'alice');
    await agent.configure([], { message: 1 });
    await agent.presence('available');
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.add(streams.outbound.name, { durable_name: 'trace-test', ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });

    // The channel adapter publishes the customer's message inside its own span.
    const offerEvent = nextOn(subjects.agentEvents(tenant, 'alice'), (m) => m.json<AgentEvent>().type === 'offer.created');
    const envelope: InboundMessage = {
      version: 1,
      tenant,
      channel: 'whatsapp',
      messageId: `wamid.${randomUUID()}`,
      timestamp: new Date().toISOString(),
      from: { id: '+33611111111', idType: 'phone' },
      text: 'hello',
    };
    const subject = subjects.inbound(tenant, 'whatsapp');
    await inMessagingSpan({ operation: 'publish', subject }, () =>
      jetstream(nc).publish(subject, encode(envelope), { msgID: inboundMsgId(tenant, 'whatsapp', envelope.messageId), headers: withTraceHeaders() }),
    );
    // The in-memory exporter gets a span once its resource is complete: wait for it.
    const adapterPublish = await waitFor(() => local.getFinishedSpans()[0], { what: 'the adapter span' });
    const traceId = adapterPublish.spanContext().traceId;

    // The offer reaches the agent's client with the trace in its headers.
    const offerMsg = await offerEvent;
    const offerContext: Context = contextOfHeaders(offerMsg.headers);
    expect(trace.getSpanContext(offerContext)?.traceId).toBe(traceId);
    const offer = offerMsg.json<Extract<AgentEvent, { type: 'offer.created' }>>();

    // The gateway sends the agent's commands within the offer's trace.
    const sender = new CommandSender(nc, 10_000, gatewayMetrics(new Registry()));
    await context.with(offerContext, async () => {
      await sender.send({ type: 'offer.accept', tenant, agentId: 'alice', offerId: offer.offerId });
      await sender.send({ type: 'message.send', tenant, agentId: 'alice', conversationId: offer.conversationId, text: 'Hi, how can I help?' });
    });

    // The reply comes out on the outbound subject, still in the same trace.
    const consumer = await jetstream(nc).consumers.get(streams.outbound.name, 'trace-test');
    const outbound = (await consumer.next({ expires: 10_000 })) as JsMsg;
    expect(outbound.json<OutboundMessage>().conversationId).toBe(offer.conversationId);
    const outboundCarrier = { traceparent: outbound.headers?.get('traceparent') ?? '' };
    const outboundSpanContext = trace.getSpanContext(propagation.extract(context.active(), outboundCarrier));
    expect(outboundSpanContext?.traceId).toBe(traceId);

    // The router's spans of this trace, as its exporter sent them.
    const routerSpans = await waitFor(
      () => {
        const spans = receiver.spans.filter((s) => s.traceId === traceId);
        return spans.some((s) => s.spanId === outboundSpanContext?.spanId) ? spans : undefined;
      },
      { what: 'the router to export the outbound publish span', timeoutMs: 20_000 },
    );
    const gatewaySpans = await waitFor(() => {
      const spans = local.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
      return spans.length === 3 ? spans : undefined;
    }, { what: 'the adapter and gateway spans' });
    expect(routerSpans.every((s) => s.service === 'parley-router')).toBe(true);

    const byId = new Map<string, ReceivedSpan>(routerSpans.map((s) => [s.spanId, s]));
    const one = (name: string, match: (s: ReceivedSpan) => boolean = () => true) => {
      const found = routerSpans.filter((s) => s.name === name && match(s));
      expect(found, `${name} in ${routerSpans.map((s) => s.name).join(', ')}`).toHaveLength(1);
      return found[0] as ReceivedSpan;
    };
    const ancestors = (span: ReceivedSpan): string[] => {
      const chain: string[] = [];
      for (let p = byId.get(span.parentSpanId); p; p = byId.get(p.parentSpanId)) chain.push(p.spanId);
      return chain;
    };

    // 1. The router consumes the adapter's message: a CONSUMER span, child of the adapter's PRODUCER span.
    const consume = one('process parley.v1.inbound.{tenant}.{channel}');
    expect(consume.kind).toBe(CONSUMER);
    expect(consume.parentSpanId).toBe(adapterPublish.spanContext().spanId);
    expect(consume.attributes).toMatchObject({
      'messaging.system': 'nats',
      'messaging.operation.type': 'process',
      'messaging.destination.name': subject,
      'messaging.consumer.group.name': 'parley-router-inbound',
    });

    // 2. The conversation actor's step runs under it. A step sends no statement of its own:
    //    its writes go out with the transaction's (runtime/transaction-actors.ts), so the
    //    database statements — BEGIN, the customer's lookup, the writes, COMMIT, from the
    //    official pg instrumentation — are the consume's.
    const customerStep = one('step conversation', (s) => s.attributes['parley.event'] === 'customer.message');
    expect(customerStep.kind).toBe(INTERNAL);
    expect(customerStep.parentSpanId).toBe(consume.spanId);
    const pgUnderConsume = routerSpans.filter((s) => s.parentSpanId === consume.spanId && s.kind === CLIENT);
    expect(pgUnderConsume.length).toBeGreaterThanOrEqual(4);
    expect(pgUnderConsume.every((s) => s.attributes['db.system'] === 'postgresql' || s.attributes['db.system.name'] === 'postgresql')).toBe(true);

    // 3. The offer: the agent actor's step and the offer event's publish, in the same trace, descending from the consume.
    const offerStep = one('step agent', (s) => s.attributes['parley.event'] === 'offer.request');
    expect(ancestors(offerStep)).toContain(consume.spanId);
    const offerPublish = byId.get(trace.getSpanContext(offerContext)?.spanId ?? '') as ReceivedSpan;
    expect(offerPublish.name).toBe('publish parley.v1.agent.events.{tenant}.{agentId}');
    expect(offerPublish.kind).toBe(PRODUCER);
    expect(ancestors(offerPublish)).toContain(consume.spanId);

    // 4. The agent's commands: the gateway's PRODUCER spans are children of the offer publish,
    //    and the router's CONSUMER spans children of those.
    const commandPublishes = gatewaySpans.filter((s) => s.name === 'publish parley.v1.agent.cmd.{tenant}.{agentId}');
    expect(commandPublishes).toHaveLength(2);
    for (const publish of commandPublishes) expect(publish.parentSpanContext?.spanId).toBe(offerPublish.spanId);
    const commandConsumes = routerSpans.filter((s) => s.name === 'process parley.v1.agent.cmd.{tenant}.{agentId}');
    expect(commandConsumes.map((s) => s.parentSpanId).sort()).toEqual(commandPublishes.map((s) => s.spanContext().spanId).sort());

    // 5. The reply: the conversation's step under the command, the outbound publish under the step (through the outbox).
    const replyStep = one('step conversation', (s) => s.attributes['parley.event'] === 'agent.message');
    expect(commandConsumes.map((s) => s.spanId)).toContain(replyStep.parentSpanId);
    const outboundPublish = byId.get(outboundSpanContext?.spanId ?? '') as ReceivedSpan;
    expect(outboundPublish).toMatchObject({ name: 'publish parley.v1.outbound.{tenant}.{channel}', kind: PRODUCER, parentSpanId: replyStep.spanId });
    expect(outboundPublish.attributes).toMatchObject({ 'messaging.system': 'nats', 'messaging.destination.name': subjects.outbound(tenant, 'whatsapp') });

  });

  it('traces the HTTP requests the router serves, except probes and scrapes', async () => {
    const ops = String(routerLog.find((l) => l.msg === 'router ready')?.ops);
    await fetch(`${ops}/metrics`).then((r) => r.text());
    await fetch(`${ops}/healthz`).then((r) => r.text());
    expect((await fetch(`${ops}/cluster`)).ok).toBe(true);
    const server = await waitFor(() => receiver.spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === '/cluster'), {
      what: 'the span of GET /cluster',
      timeoutMs: 20_000,
    });
    expect(server).toMatchObject({ service: 'parley-router', name: 'GET', attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200 } });
    expect(receiver.spans.filter((s) => s.kind === SERVER && ['/metrics', '/healthz'].includes(String(s.attributes['url.path'])))).toEqual([]);
  });

  it('exports over OTLP/protobuf by default', async () => {
    const log = await startRouterProcess('protobuf-router', {});
    const before = receiver.protobufRequests;
    expect((await fetch(`${String(log.find((l) => l.msg === 'router ready')?.ops)}/cluster`)).ok).toBe(true);
    await waitFor(() => (receiver.protobufRequests > before ? true : undefined), { what: 'an OTLP/protobuf export', timeoutMs: 20_000 });
  });
});
