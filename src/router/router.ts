import type { JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import { register as globalRegistry, type Registry } from 'prom-client';
import {
  AgentCommand,
  DeliveryReceipt,
  InboundMessage,
  ParleyError,
  decode,
  encode,
  parseAgentCommandSubject,
  parseInboundSubject,
  streams,
  subjects,
  type DeadLetterSource,
  type ErrorCode,
} from '../contract/index.ts';
import type { ConfigRegistry } from '../config/index.ts';
import type { Database } from '../store/index.ts';
import { applyReceipt, listAgents, listWaitingConversations } from '../store/index.ts';
import { ActorHost, type HostHooks } from '../actor/index.ts';
import type { AgentContext } from '../agent/context.ts';
import { offerCreatedOf } from '../agent/machine.ts';
import type { ConversationContext } from '../conversation/context.ts';
import { Scheduler, agentViewOf, waitingOf } from '../routing/index.ts';
import { deadLetter, ensureStreams, startConsumeLoop, type ConsumeLoop, type Verdict } from '../bus/index.ts';
import { createRouterMetrics } from '../metrics/index.ts';
import { createLogger, type Logger } from '../observability/index.ts';
import { receiveMessage } from './receive-message.ts';
import { handleCommand } from './handle-command.ts';
import { TimerService } from './timer-service.ts';
import { OutboxDispatcher } from './outbox-dispatcher.ts';
import { askBot } from './ask-bot.ts';

export interface RouterOptions {
  nc: NatsConnection;
  db: Kysely<Database>;
  config: ConfigRegistry;
  /** @default the prom-client global registry */
  registry?: Registry;
  logger?: Logger;
  /** Messages processed at once per stream. @default 64 */
  concurrency?: number;
  /** Deliveries after which a message that keeps failing is dead-lettered. @default 10 */
  maxDeliveries?: number;
}

export interface Router {
  readonly scheduler: Scheduler;
  /** The live configuration changed: queues' members, skills or methods may match differently now. */
  configChanged(): void;
  stop(): Promise<void>;
}

/**
 * A routing node: consumes inbound messages, receipts and agent commands, hosts the
 * conversation and agent actors, runs the scheduler, the durable timers and the outbox.
 */
export async function startRouter(options: RouterOptions): Promise<Router> {
  const { nc, db, config } = options;
  const log = options.logger ?? createLogger({ component: 'router' });
  const metrics = createRouterMetrics(options.registry ?? globalRegistry);
  const maxDeliveries = options.maxDeliveries ?? 10;
  const onError = (what: string) => (err: unknown) => log.error(what, { err });

  await ensureStreams(nc);

  // The pieces refer to each other through the host's hooks (called only after start-up).
  const hooks: HostHooks = {
    outbox: (rows) => dispatcher.dispatch(rows),
    notify: (tenant, agentId, event) =>
      nc.publish(subjects.agentEvents(tenant, agentId), encode({ version: 1, tenant, agentId, at: new Date().toISOString(), ...event })),
    conversationChanged: (state, ctx, event) =>
      scheduler.conversationChanged(waitingOf(ctx), state === 'queued', 'offerId' in event ? event.offerId : undefined),
    agentChanged: (_state, ctx, event) =>
      scheduler.agentChanged(agentViewOf(ctx), event.type === 'offer.request' ? event.offerId : undefined),
    timerArmed: (due) => timers.armed(due),
    offerEnded: (tenant, queue, outcome, offeredAt, at) => {
      metrics.offers.inc({ tenant, queue: queue ?? '', outcome });
      if (outcome === 'accepted') {
        metrics.assignments.inc({ tenant, queue: queue ?? '' });
        if (offeredAt && at) metrics.offerToAccept.observe({ tenant, queue: queue ?? '' }, (Date.parse(at) - Date.parse(offeredAt)) / 1000);
      }
    },
    messageDelivered: (tenant, channel) => metrics.outboundMessages.inc({ tenant, channel }),
    stepTook: (actor, seconds) => metrics.actorSteps.observe({ actor }, seconds),
    askBot: (tenant, conversationId, ask) => void askBot(nc, host, config, tenant, conversationId, ask, log),
  };

  const host = new ActorHost(db, hooks);
  const scheduler: Scheduler = new Scheduler({
    offer: (tenant, agentId, request) => {
      host
        .send({ kind: 'agent', tenant, id: agentId, event: request })
        .then((found) => found || scheduler.offerLost(request.conversationId, request.offerId))
        .catch((err: unknown) => {
          log.error('offer request failed', { err, conversationId: request.conversationId });
          scheduler.offerLost(request.conversationId, request.offerId);
        });
    },
    queue: (tenant, name) => config.queue(tenant, name),
    waiting: (tenant, queue, count) => metrics.queueWaiting.set({ tenant, queue }, count),
  });
  const timers = new TimerService(db, host, { onError: onError('timer failed') });
  const dispatcher = new OutboxDispatcher(db, nc, host, { onError: onError('outbox dispatch failed') });

  // Rebuild the scheduler's cache from committed state before taking new work.
  for (const row of await listAgents(db)) {
    const agent = (row.snapshot as { context: AgentContext }).context;
    scheduler.agentChanged(agentViewOf(agent));
    // Offer notifications are best effort: one lost in a crash is announced again (clients de-duplicate by offerId).
    for (const offer of agent.offers) hooks.notify(agent.tenant, agent.id, offerCreatedOf(offer));
  }
  for (const row of await listWaitingConversations(db)) {
    scheduler.conversationChanged(waitingOf((row.snapshot as { context: ConversationContext }).context), true);
  }
  dispatcher.start();
  timers.start();

  const rejected = async (msg: JsMsg, source: DeadLetterSource, code: ErrorCode, detail: string): Promise<Verdict> => {
    metrics.deadLetters.inc({ source, reason: code });
    log.warn('dead-lettered', { source, reason: code, subject: msg.subject, seq: msg.seq });
    await deadLetter(nc, source, msg, code, detail);
    return { handled: true };
  };

  /** Permanent errors and messages that keep failing go to the dead letters; the rest are retried. */
  const guarded = (source: DeadLetterSource, handle: (msg: JsMsg) => Promise<Verdict>) => async (msg: JsMsg): Promise<Verdict> => {
    try {
      return await handle(msg);
    } catch (err) {
      if (err instanceof ParleyError && !err.retryable) return rejected(msg, source, err.code, err.message);
      if (msg.info.deliveryCount >= maxDeliveries) {
        log.error('message keeps failing', { err, subject: msg.subject, seq: msg.seq });
        return rejected(msg, source, 'processingFailed', err instanceof Error ? err.message : String(err));
      }
      throw err;
    }
  };

  const handleInbound = async (msg: JsMsg): Promise<Verdict> => {
    const where = parseInboundSubject(msg.subject);
    const source: DeadLetterSource = where?.kind === 'receipts' ? 'receipts' : 'inbound';
    if (!where) return rejected(msg, source, 'subjectMismatch', `unexpected subject ${msg.subject}`);
    if (where.kind === 'receipts') {
      const receipt = decode(DeliveryReceipt, msg.data);
      if (!receipt.ok) return rejected(msg, source, receipt.code, receipt.detail);
      const r = receipt.value;
      if (r.tenant !== where.tenant || r.channel !== where.channel) return rejected(msg, source, 'subjectMismatch', 'tenant/channel differ from the subject');
      const known = await db.transaction().execute((tx) => applyReceipt(tx, r.tenant, r.messageId, r.status, new Date(r.timestamp), r.reason));
      return known ? { ack: true } : rejected(msg, source, 'unknownMessage', `no outbound message ${r.messageId}`);
    }
    const envelope = decode(InboundMessage, msg.data);
    if (!envelope.ok) return rejected(msg, source, envelope.code, envelope.detail);
    const m = envelope.value;
    if (m.tenant !== where.tenant || m.channel !== where.channel) return rejected(msg, source, 'subjectMismatch', 'tenant/channel differ from the subject');
    const started = performance.now();
    const outcome = await receiveMessage(db, host, config, m);
    metrics.actorSteps.observe({ actor: 'inbound-message' }, (performance.now() - started) / 1000);
    (outcome === 'stored' ? metrics.inboundMessages : metrics.duplicateMessages).inc({ tenant: m.tenant, channel: m.channel });
    return { ack: true };
  };

  const handleAgentCommand = async (msg: JsMsg): Promise<Verdict> => {
    const where = parseAgentCommandSubject(msg.subject);
    const command = decode(AgentCommand, msg.data);
    if (!command.ok) return rejected(msg, 'commands', command.code, command.detail);
    const c = command.value;
    if (!where || c.tenant !== where.tenant || c.agentId !== where.agentId) return rejected(msg, 'commands', 'subjectMismatch', 'tenant/agent differ from the subject');
    await handleCommand(db, host, config, c, (tenant, agentId, event) => hooks.notify(tenant, agentId, event));
    return { ack: true };
  };

  const loops: ConsumeLoop[] = [
    await startConsumeLoop(nc, {
      stream: streams.inbound.name,
      durable: 'parley-router-inbound',
      concurrency: options.concurrency,
      handle: guarded('inbound', handleInbound),
      onError: onError('inbound consumer'),
    }),
    await startConsumeLoop(nc, {
      stream: streams.commands.name,
      durable: 'parley-router-commands',
      concurrency: options.concurrency,
      handle: guarded('commands', handleAgentCommand),
      onError: onError('command consumer'),
    }),
  ];
  log.info('router started');

  return {
    scheduler,
    configChanged: () => scheduler.invalidate(),
    async stop() {
      await Promise.all(loops.map((l) => l.stop()));
      await timers.stop();
      await dispatcher.stop();
      log.info('router stopped');
    },
  };
}
