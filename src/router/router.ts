import { context, type Context } from '@opentelemetry/api';
import type { JsMsg } from '@nats-io/jetstream';
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
import { asParleyError, ensurePartitioning, listAgents, listWaitingConversations, queuesWithWaiting } from '../store/index.ts';
import { PartitionRuntime, type RuntimeHooks } from '../runtime/index.ts';
import { PartitionLeases } from '../cluster/index.ts';
import { partitionOf, queuePartitionKey } from '../partition/index.ts';
import { agentKind, offerCreatedOf, type AgentContext } from '../agent/index.ts';
import { conversationKind, conversationView, type ConversationContext, type ReceivedMessage, type ReceiveOutcome, type StartOutcome, type StartRequest } from '../conversation/index.ts';
import { Scheduler, agentViewOf, waitingOf } from '../routing/index.ts';
import { campaignKind, serveCampaignCommands, type CampaignCommandOutcome, type CampaignHost } from '../campaigns/index.ts';
import { deadLetter, ensureStreams, startConsumeLoop, inMessagingSpan, withTraceHeaders, type ConsumeLoop, type Verdict } from '../bus/index.ts';
import { createRouterMetrics } from '../metrics/index.ts';
import { repeatedLog } from '../observability/index.ts';
import { handleCommand } from './handle-command.ts';
import { ActorStateFeed } from './actor-state-feed.ts';
import { askBot } from './ask-bot.ts';
import { QueueDeletions, fallbackOutcome } from './queue-deletion.ts';
import { compileRouterOptions, type RouterOptions } from './router-options.ts';
import { ForwardLimit } from './forward-limit.ts';
import { ReceiptBatch } from './receipt-batch.ts';
import type { SendToParley } from './actor-addresses.ts';
export type { RouterOptions } from './router-options.ts';

/** The states in which a conversation is in its queue's scheduler: waiting for an offer, or offered. */
const WAITING_STATES: ReadonlySet<string> = new Set(['queued', 'offered']);

/** Conversations waiting whose trace is kept for their offer, at most (beyond, an offer starts from the pass's trace). */
const MAX_WAITING_TRACES = 100_000;

/** The label an error is counted under: its catalog code, else its class. */
function errorCodeOf(err: unknown): string {
  if (err instanceof ParleyError) return err.code;
  return err instanceof Error ? err.name : 'unknown';
}

export interface ClusterView {
  node: string;
  members: string[];
  /** Partitions this node owns. */
  owned: number[];
  /** Queues whose scheduler runs here. */
  queues: { tenant: string; queue: string }[];
  partitions: { partition: number; owner: string | null; epoch: number }[];
}

export interface Router {
  readonly scheduler: Scheduler;
  readonly nodeId: string;
  /** The live configuration changed: queues' members, skills or methods may match differently now. */
  configChanged(): void;
  /** Members, leases and led queues as this node sees them. */
  cluster(): ClusterView;
  /** Liveness: the lease heartbeat runs (the event loop is not stuck). */
  healthy(): boolean;
  /** Campaigns run on this router's partitions (`startCampaignService`). */
  readonly campaigns: CampaignHost;
  /** Hands every partition over and stops (graceful shutdown). */
  stop(): Promise<void>;
}

/**
 * A routing node: joins the cluster and owns a share of the partitions; consumes inbound
 * messages, receipts and agent commands (shared consumers: any node takes a message and
 * gets it to the owner of its partition); hosts the actors of its partitions; runs the
 * schedulers of the queues it leads, and the durable timers and outbox of its partitions.
 */
export async function startRouter(partial: RouterOptions): Promise<Router> {
  const options = compileRouterOptions(partial);
  const { nc, db, config, partitions, nodeId, logger: log } = options;
  const metrics = createRouterMetrics(options.registry);
  // A NATS outage or a handover makes the same failure happen for every message at once:
  // one line sums a burst up, the metric counts each.
  const errorLog = repeatedLog(log, { intervalMs: options.repeatedLogIntervalMs });
  const failed = (operation: string, err: unknown) => metrics.errors.inc({ operation, code: errorCodeOf(err) });
  // A partition changing hands makes work fail that is retried anyway (by JetStream, the outbox sweep, the timers): not an error.
  const onError = (operation: string, what: string) => (err: unknown) => {
    failed(operation, err);
    if (err instanceof ParleyError && err.retryable) errorLog.warn(what, { err });
    else errorLog.error(what, { err });
  };
  await ensureStreams(nc);
  await ensurePartitioning(db, partitions);

  // The committed state of every actor, for every router's schedulers.
  const feed = new ActorStateFeed(nc, onError('state-feed', 'following a committed state failed'));
  const notify: RuntimeHooks['notify'] = (tenant, agentId, event) => {
    const subject = subjects.agentEvents(tenant, agentId);
    const data = encode({ version: 1, tenant, agentId, at: new Date().toISOString(), ...event });
    inMessagingSpan({ operation: 'publish', subject, bodySize: data.length }, () => nc.publish(subject, data, { headers: withTraceHeaders() }));
  };
  /** Who hears of campaigns' state changes committed here (`CampaignHost.onStateChange`). */
  const campaignStateListeners = new Set<(tenant: string, name: string, state: string) => void>();
  const hooks: RuntimeHooks = {
    notify,
    changed: (kind, state, actor, event, previous) => {
      if (kind === 'conversation') {
        const conversation = actor as ConversationContext;
        const fallback = fallbackOutcome(state, conversation, event as never, config);
        if (fallback) metrics.queueFallbacks.inc({ tenant: conversation.tenant, ...fallback });
        // A step that neither starts nor ends a wait (a customer message while connected) changes nothing the schedulers follow.
        if (previous !== undefined && !WAITING_STATES.has(previous) && !WAITING_STATES.has(state)) return;
        feed.conversation({ state, context: conversationView(conversation), ...('offerId' in event && { offerId: event.offerId as string }) });
      } else if (kind === 'agent') {
        feed.agent({ view: agentViewOf(actor as AgentContext), ...(event.type === 'offer.request' && 'offerId' in event && { offerId: event.offerId as string }) });
      } else if (kind === 'campaign' && state !== previous) {
        for (const listener of campaignStateListeners) listener(actor.tenant, actor.id, state);
      }
    },
    offerEnded: (tenant, queue, outcome, offeredAt, at) => {
      metrics.offers.inc({ tenant, queue: queue ?? '', outcome });
      if (outcome === 'accepted') {
        metrics.assignments.inc({ tenant, queue: queue ?? '' });
        if (offeredAt && at) metrics.offerToAccept.observe({ tenant, queue: queue ?? '' }, (Date.parse(at) - Date.parse(offeredAt)) / 1000);
      }
    },
    messageDelivered: (tenant, channel) => metrics.outboundMessages.inc({ tenant, channel }),
    stepTook: (actor, seconds) => metrics.actorSteps.observe({ actor: actor === 'conversation.open' ? 'inbound-message' : actor }, seconds),
    askBot: (tenant, conversationId, ask, send) => void askBot(nc, send, config, tenant, conversationId, ask, log),
  };

  const leases = new PartitionLeases({
    nc,
    db: options.leaseDb,
    nodeId,
    partitions,
    leaseMs: options.leaseMs,
    heartbeatMs: options.heartbeatMs,
    log,
    onHandover: (kind) => metrics.partitionHandovers.inc({ kind }),
    onRefused: (err) => options.onRefused?.(err),
  });
  const conversationActors = conversationKind(db, config);
  const runtime = new PartitionRuntime({
    nc,
    db,
    ownership: leases,
    kinds: [conversationActors, agentKind, campaignKind],
    hooks,
    partitions,
    log: errorLog,
    maxBatch: options.maxBatch,
    maxConcurrent: options.maxConcurrentCommits,
    maxBacklog: options.maxBacklog,
    idleMs: options.actorIdleMs,
    maxActors: options.maxActiveActors,
    requestTimeoutMs: options.partitionRequestTimeoutMs,
    outboxSweepMs: options.outboxSweepMs,
    timerMaxSleepMs: options.timerMaxSleepMs,
    committed: (size) => metrics.commitBatch.observe(size),
    onError: onError('after-commit', 'after-commit work failed'),
    onOutboxError: onError('outbox-dispatch', 'outbox dispatch failed'),
    onTimerError: onError('timer', 'timer failed'),
  });
  const send: SendToParley = runtime.send;
  metrics.observeActors({ active: () => runtime.host.actors.sizes(), lookups: () => runtime.host.actors.lookups, conflicts: () => runtime.host.conflicts });

  const campaigns: CampaignHost = {
    partitions,
    owns: (p) => leases.epochOf(p) !== undefined,
    run: (p, work) => runtime.host.run(p, work),
    actors: runtime.host,
    command: async (command) => (await runtime.mailbox.open('campaign', command)) as CampaignCommandOutcome,
    onStateChange: (listener) => {
      campaignStateListeners.add(listener);
      return () => campaignStateListeners.delete(listener);
    },
  };

  // Queue leadership: a queue's scheduler runs on the owner of the queue's partition.
  const leads = (tenant: string, queue: string) => leases.epochOf(partitionOf(queuePartitionKey(tenant, queue), partitions)) !== undefined;
  // Conversations are offered only from queues that exist: not from a deleted one (its
  // leader moves them on) nor from one never created (they wait, unrouted).
  const serves = (tenant: string, queue: string) => leads(tenant, queue) && config.queue(tenant, queue) !== undefined;
  // The trace of each conversation waiting in a queue led here: its offer continues it
  // (the scheduler's passes take many conversations at once).
  const waitingTraces = new Map<string, Context>();
  /** Queues whose waiting gauge this router set; a queue it no longer leads is some other router's to report. */
  const waitingGauges = new Map<string, { tenant: string; queue: string }>();
  const scheduler: Scheduler = new Scheduler({
    offer: (tenant, agentId, request) => {
      const trace = waitingTraces.get(request.conversationId) ?? context.active();
      context
        .with(trace, () => send({ kind: 'agent', tenant, id: agentId, event: request }))
        .then((found) => found || scheduler.offerLost(request.conversationId, request.offerId))
        .catch((err: unknown) => {
          failed('offer-request', err);
          errorLog.warn('offer request failed', { err, conversationId: request.conversationId });
          scheduler.offerLost(request.conversationId, request.offerId);
        });
    },
    queue: (tenant, name) => config.queue(tenant, name),
    // The scheduler reports every queue it ever saw: one led elsewhere now is not ours to report.
    waiting: (tenant, queue, count) => {
      const key = `${tenant}/${queue}`;
      if (leads(tenant, queue)) {
        metrics.queueWaiting.set({ tenant, queue }, count);
        waitingGauges.set(key, { tenant, queue });
      } else if (waitingGauges.delete(key)) {
        metrics.queueWaiting.remove({ tenant, queue });
      }
    },
  });
  const deletions = new QueueDeletions({ db, config, send, leads, log });
  const ledQueues = () => config.allQueues().filter((q) => leads(q.tenant, q.name)).map((q) => ({ tenant: q.tenant, queue: q.name }));
  /** Rebuilds the waiting lists of the queues led here, from the store (those of one partition, or all). */
  const rebuildQueues = async (partition?: number) => {
    const queues = await queuesWithWaiting(db);
    for (const { tenant, queue } of queues) {
      if (partition !== undefined && partitionOf(queuePartitionKey(tenant, queue), partitions) !== partition) continue;
      if (!leads(tenant, queue)) continue;
      if (!serves(tenant, queue)) {
        scheduler.replaceQueue(tenant, queue, []);
        continue;
      }
      const rows = await listWaitingConversations(db, tenant, queue);
      scheduler.replaceQueue(tenant, queue, rows.map((r) => waitingOf((r.snapshot as { context: ConversationContext }).context)));
    }
  };
  const report = () => {
    for (const [key, labels] of waitingGauges) {
      if (leads(labels.tenant, labels.queue)) continue;
      metrics.queueWaiting.remove(labels);
      waitingGauges.delete(key);
    }
    metrics.partitionsOwned.set(leases.owned().length);
    metrics.clusterMembers.set(leases.describe().members.length);
    metrics.queuesLed.set(ledQueues().length);
  };

  const partitionGained = async (p: number): Promise<void> => {
    runtime.gained(p);
    await rebuildQueues(p);
    // Not awaited: moving conversations goes through their owners, which must not hold up the takeover.
    void deletions.sweep().catch(onError('queue-deletion', 'moving conversations out of deleted queues failed'));
    // Offer notifications are best effort: one lost when the previous owner went away is announced again (clients de-duplicate by offerId).
    for (const row of await listAgents(db, [p])) {
      const agent = (row.snapshot as { context: AgentContext }).context;
      for (const offer of agent.offers) notify(agent.tenant, agent.id, offerCreatedOf(offer));
    }
    report();
  };
  // Its transactions in flight need not finish first: the next owner's claim waits for
  // them in the store, and those not yet fenced fail and are retried there.
  const partitionLost = (p: number): Promise<void> => {
    runtime.lost(p);
    scheduler.dropQueues(serves);
    report();
    return Promise.resolve();
  };

  // Every scheduler follows the committed state of all agents, and of the conversations of the queues it leads.
  const following = feed.follow({
    conversation: ({ state, context: conversation, offerId }) => {
      conversationActors.learnPartition(conversation, partitions);
      const waiting = state === 'queued' && serves(conversation.tenant, conversation.queue);
      if (waiting && waitingTraces.size < MAX_WAITING_TRACES) waitingTraces.set(conversation.id, context.active());
      else waitingTraces.delete(conversation.id);
      scheduler.conversationChanged(waitingOf(conversation), waiting, offerId);
      deletions.conversationChanged(state, conversation);
    },
    agent: ({ view, offerId }) => scheduler.agentChanged(view, offerId),
  });
  const resync = async () => {
    for (const row of await listAgents(db)) scheduler.agentChanged(agentViewOf((row.snapshot as { context: AgentContext }).context));
    await rebuildQueues();
    await deletions.sweep();
  };
  await resync();
  await leases.start({ gained: partitionGained, lost: partitionLost });
  report();
  const resyncing = setInterval(() => void resync().catch(onError('scheduler-resync', 'scheduler resync failed')), options.resyncMs);
  runtime.start();

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
    } catch (thrown) {
      // A value the database refuses (SQLSTATE 22/23) is refused the same on every delivery.
      const err = asParleyError(thrown);
      if (err instanceof ParleyError && !err.retryable) return rejected(msg, source, err.code, err.message);
      if (msg.info.deliveryCount >= options.maxDeliveries) {
        log.error('message keeps failing', { err, subject: msg.subject, seq: msg.seq });
        return rejected(msg, source, 'processingFailed', err instanceof Error ? err.message : String(err));
      }
      throw err;
    }
  };

  // The read-ahead is for this router's own group commit, where new customers are taken
  // first. Messages of partitions owned elsewhere go to their owners `concurrency` at a
  // time, new customers and follow-ups in turn (each in order): thousands forwarded at
  // once would wait at the owner longer than the request timeout, come back as
  // redeliveries, and add their duplicates to its backlog.
  const forwarding = new ForwardLimit(options.concurrency);
  const conversations = runtime.host.kind('conversation').opener;
  if (!conversations) throw new Error('the conversation kind opens conversations by key');

  const receipts = new ReceiptBatch(db);
  const handleInbound = async (msg: JsMsg): Promise<Verdict> => {
    const where = parseInboundSubject(msg.subject);
    const source: DeadLetterSource = where?.kind === 'receipts' ? 'receipts' : 'inbound';
    if (!where) return rejected(msg, source, 'subjectMismatch', `unexpected subject ${msg.subject}`);
    if (where.kind === 'receipts') {
      const receipt = decode(DeliveryReceipt, msg.data);
      if (!receipt.ok) return rejected(msg, source, receipt.code, receipt.detail);
      const r = receipt.value;
      if (r.tenant !== where.tenant || r.channel !== where.channel) return rejected(msg, source, 'subjectMismatch', 'tenant/channel differ from the subject');
      // A campaign's or a notification's receipt is known too: their services record it (their own consumers of these subjects).
      if (await receipts.apply(r)) return { ack: true };
      return rejected(msg, source, 'unknownMessage', `no outbound message ${r.messageId}`);
    }
    const envelope = decode(InboundMessage, msg.data);
    if (!envelope.ok) return rejected(msg, source, envelope.code, envelope.detail);
    const m = envelope.value;
    if (m.tenant !== where.tenant || m.channel !== where.channel) return rejected(msg, source, 'subjectMismatch', 'tenant/channel differ from the subject');
    metrics.commitBacklog.set(runtime.host.backlog);
    // The conversation kind finds or starts the conversation (and checks the channel) in the key's partition, wherever it is owned.
    const received: ReceivedMessage = { ...m, receivedAt: new Date(msg.info.timestampNanos / 1e6).toISOString() };
    const open = () => runtime.mailbox.open('conversation', received);
    const key = conversations.keyOf(received);
    const local = leases.epochOf(partitionOf(key, partitions)) !== undefined;
    const outcome = (await (local ? open() : forwarding.run(key, open))) as ReceiveOutcome;
    (outcome === 'stored' ? metrics.inboundMessages : metrics.duplicateMessages).inc({ tenant: m.tenant, channel: m.channel });
    return { ack: true };
  };

  const handleAgentCommand = async (msg: JsMsg): Promise<Verdict> => {
    const where = parseAgentCommandSubject(msg.subject);
    const command = decode(AgentCommand, msg.data);
    if (!command.ok) return rejected(msg, 'commands', command.code, command.detail);
    const c = command.value;
    if (!where || c.tenant !== where.tenant || c.agentId !== where.agentId) return rejected(msg, 'commands', 'subjectMismatch', 'tenant/agent differ from the subject');
    const open = async (request: StartRequest) => (await runtime.mailbox.open('conversation', request)) as StartOutcome;
    await handleCommand(db, send, open, config, c, (tenant, agentId, event) => hooks.notify(tenant, agentId, event));
    return { ack: true };
  };

  const loops: ConsumeLoop[] = [
    await startConsumeLoop(nc, {
      stream: streams.inbound.name,
      durable: 'parley-router-inbound',
      // A read-ahead window: the group commit schedules among what is held.
      concurrency: options.readAhead,
      // It lets I/O in while a new customer, an offer or an accept waits on it; otherwise it reads ahead at full speed.
      letIn: () => runtime.host.expressRunning > 0 || scheduler.passPending,
      handle: guarded('inbound', handleInbound),
      onError: onError('inbound-consumer', 'inbound consumer'),
    }),
    await startConsumeLoop(nc, {
      stream: streams.commands.name,
      durable: 'parley-router-commands',
      concurrency: options.concurrency,
      handle: guarded('commands', handleAgentCommand),
      onError: onError('command-consumer', 'command consumer'),
    }),
  ];
  // The API's campaign commands (the gateway's), run on the campaigns' owners.
  const campaignCommands = serveCampaignCommands(nc, campaigns, log);
  log.info('router started', { node: nodeId, partitions: leases.owned().length });

  const stop = async () => {
    clearInterval(resyncing);
    following.stop();
    // No new work; the partitions are released at once (a transaction in flight finishes
    // before the next owner's claim goes through, in the store); then the messages still
    // in progress finish, or fail over to the new owners.
    for (const loop of loops) loop.pause();
    campaignCommands.unsubscribe();
    await leases.stop();
    await Promise.all(loops.map((l) => l.stop()));
    await runtime.stop(partitions);
    errorLog.flush();
    log.info('router stopped', { node: nodeId });
  };

  return {
    scheduler,
    nodeId,
    configChanged: () => {
      scheduler.invalidate();
      // At once: no more offers from a queue that is gone; then the store decides what waits where.
      scheduler.dropQueues(serves);
      void rebuildQueues()
        .then(() => deletions.sweep())
        .catch(onError('config-change', 'applying a configuration change to the queues failed'));
    },
    cluster: () => {
      const { members, partitions: leaseList } = leases.describe();
      return { node: nodeId, members, owned: leases.owned(), queues: ledQueues(), partitions: leaseList };
    },
    healthy: () => leases.healthy(),
    campaigns,
    stop,
  };
}
