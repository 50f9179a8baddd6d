import type { Kysely } from 'kysely';
import { initialTransition, transition, type AnyStateMachine, type StateValue } from 'xstate';
import { ErrorCodes, ParleyError, subjects } from '../contract/index.ts';
import type { AgentRow, ConversationIdentity, ConversationRow, Database, NewOutboxRow, OutboxRow } from '../store/index.ts';
import { openActor, StepWrites } from '../store/index.ts';
import { inInternalSpan, traceCarrier } from '../bus/index.ts';
import { agentMachine } from '../agent/machine.ts';
import type { AgentContext } from '../agent/context.ts';
import type { AgentActorEvent } from '../agent/events.ts';
import { conversationMachine } from '../conversation/machine.ts';
import type { ConversationContext } from '../conversation/context.ts';
import type { ConversationActorEvent } from '../conversation/events.ts';
import { collectEffects } from './collect-effects.ts';
import type { Effect } from './effects.ts';
import { GroupCommit, type GroupCommitOptions, type PartitionWork, type RunOptions } from './group-commit.ts';
import type { StepResults } from './step-results.ts';
import { Fences, WorkInProgress, type Ownership } from '../cluster/ownership.ts';

type Tx = Kysely<Database>;
export type ConversationSnapshot = ReturnType<typeof conversationMachine.resolveState>;
type AgentSnapshot = ReturnType<typeof agentMachine.resolveState>;

/** An event for an actor, before anyone looked up the actor's partition. */
export type ActorAddress =
  | { kind: 'conversation'; tenant: string; id: string; event: ConversationActorEvent }
  | { kind: 'agent'; tenant: string; id: string; event: AgentActorEvent };

/** An event for an actor in a known partition. */
export type ActorTarget = ActorAddress & { partition: number };

/** Delivers an event to an actor wherever it lives (see `PartitionMailbox`); false when it does not exist. */
export type SendToActor = (address: ActorAddress, origin?: Origin) => Promise<boolean>;

/** Where an event came from, so a redelivery is recognized and dropped. */
export interface Origin {
  outboxId?: string;
  timerId?: string;
}

export type AgentEventBody = Extract<Effect, { kind: 'notify' }>['event'];

/** What the host tells the rest of the router after a transaction commits. */
export interface HostHooks {
  /** Durable effects committed to the outbox: deliver or publish them now. */
  outbox(rows: OutboxRow[]): void;
  /** Best-effort events for an agent's clients. */
  notify(tenant: string, agentId: string, event: AgentEventBody): void;
  /** A conversation's committed state, and the event that led to it. */
  conversationChanged(state: string, context: ConversationContext, event: ConversationActorEvent): void;
  /** An agent's committed state, and the event that led to it. */
  agentChanged(state: string, context: AgentContext, event: AgentActorEvent): void;
  timerArmed(dueAt: Date): void;
  offerEnded(tenant: string, queue: string | null, outcome: string, offeredAt?: string, at?: string): void;
  messageDelivered(tenant: string, channel: string): void;
  /** Ask a conversation's bot; the answer comes back to the conversation as an event. */
  askBot(tenant: string, conversationId: string, ask: Extract<Effect, { kind: 'bot.ask' }>): void;
  /** How long one event took, load to commit. */
  stepTook(actor: 'conversation' | 'agent', seconds: number): void;
}

/**
 * Hosts conversation and agent actors: load the snapshot (row-locked), run the pure
 * transition, store the new snapshot with its durable effects in the same transaction,
 * then perform the rest once committed. A crash at any point leaves either the old state
 * with the event still to be redelivered, or the new state with its effects in the outbox.
 *
 * Actors are virtual: nothing of an actor stays in memory between its events; each
 * event activates it from its stored snapshot and the commit passivates it again. Every
 * transaction is fenced on its actors' partitions: it runs only while this node owns
 * them with the epochs the store holds. All work on a partition's actors goes through
 * one group commit (`run`), which runs a partition's work in order, one transaction at
 * a time.
 */
export class ActorHost {
  /** Transactions in progress: a stopping router lets them finish. */
  readonly work = new WorkInProgress();
  private readonly group: GroupCommit;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly hooks: HostHooks,
    private readonly ownership: Ownership,
    options: GroupCommitOptions = {},
  ) {
    this.group = new GroupCommit((partitions, body) => this.transactionOn(partitions, body), (results) => this.commit(results), options);
  }

  /** Runs work on a partition's actors in the partition's turn, in a transaction shared with other work; settles after the commit. */
  run<T>(partition: number, work: PartitionWork<T>, options?: RunOptions): Promise<T> {
    return this.group.run(partition, work, options);
  }

  /** Work waiting for its transaction. */
  get backlog(): number {
    return this.group.backlog;
  }

  /**
   * Delivers one event to an actor. Resolves to false when the actor does not exist (an
   * agent is created only by `agent.configure`). An event from the outbox or a timer that
   * was already consumed is dropped.
   */
  async send(target: ActorTarget, origin: Origin = {}): Promise<boolean> {
    const started = performance.now();
    const found = await this.run(target.partition, async (tx, fence, results) => {
      const opened = await openActor<ConversationRow | AgentRow>(tx, { ...target, ...origin });
      fence.verify(opened.epoch);
      // An earlier event for this actor is still on its way (its delivery failed, e.g.
      // during a handover): this one waits, and the outbox sweep delivers both in order.
      if (opened.earlierPending) {
        throw new ParleyError('unavailable', `an earlier event for ${target.kind} ${target.id} is not delivered yet`);
      }
      if ((origin.outboxId || origin.timerId) && !opened.originConsumed) return true;
      return this.stepLoaded(tx, target, opened.row, results);
    });
    this.hooks.stepTook(target.kind, (performance.now() - started) / 1000);
    return found;
  }

  /**
   * A write transaction on the actors of some partitions, counted as work in progress and
   * fenced on each: the body may fold a partition's epoch read into its first statement
   * there (`fences.get(p).verify`), else it is read on its own before the commit.
   */
  async transactionOn<T>(partitions: readonly number[], body: (tx: Tx, fences: Fences) => Promise<T>): Promise<T> {
    // Not even a connection for a partition this node gave up.
    const fences = Fences.of(this.ownership, partitions);
    return this.work.run(() =>
      this.db.transaction().execute(async (tx) => {
        const result = await body(tx, fences);
        await fences.close(tx);
        return result;
      }),
    );
  }

  /**
   * Runs an event through an actor whose row the transaction holds locked (undefined: it
   * does not exist). `alongside` adds writes that belong with the step (they go in its
   * statement).
   */
  async stepLoaded(tx: Tx, target: ActorTarget, row: ConversationRow | AgentRow | undefined, results: StepResults, alongside?: (writes: StepWrites) => void): Promise<boolean> {
    if (target.kind === 'conversation') {
      // A conversation id from another tenant is as good as unknown.
      if (!row || row.tenant !== target.tenant) return false;
      if (row.partition !== target.partition) throw misrouted(target, row.partition);
      const snapshot = restore(conversationMachine, row.snapshot) as ConversationSnapshot;
      await this.stepConversation(tx, snapshot, target.event, target.partition, results, { alongside });
      return true;
    }
    let snapshot: AgentSnapshot;
    if (row && row.partition !== target.partition) throw misrouted(target, row.partition);
    if (row) snapshot = restore(agentMachine, row.snapshot) as AgentSnapshot;
    else if (target.event.type === 'agent.configure') {
      [snapshot] = initialTransition(agentMachine, { tenant: target.tenant, id: target.id, at: target.event.at });
    } else return false;
    await this.stepAgent(tx, snapshot, target.event, target.partition, results);
    return true;
  }

  /**
   * Creates a conversation with its first event already applied: the row is inserted in
   * its state after the event, instead of inserted, read back and updated.
   */
  async startConversation(
    tx: Tx,
    row: ConversationIdentity,
    snapshot: ConversationSnapshot,
    event: ConversationActorEvent,
    results: StepResults,
    alongside?: (writes: StepWrites) => void,
  ): Promise<void> {
    await this.stepConversation(tx, snapshot, event, row.partition, results, { created: row, alongside });
  }

  /** Transitions a conversation (given its snapshot) and stores the result: an update, or the insert of a new one. */
  private stepConversation(
    tx: Tx,
    snapshot: ConversationSnapshot,
    event: ConversationActorEvent,
    partition: number,
    results: StepResults,
    options: { created?: ConversationIdentity; alongside?: ((writes: StepWrites) => void) | undefined },
  ): Promise<void> {
    const attributes = { 'parley.actor.kind': 'conversation', 'parley.actor.id': snapshot.context.id, 'parley.event': event.type, 'parley.partition': partition };
    return inInternalSpan('step conversation', attributes, () => this.stepConversationTraced(tx, snapshot, event, partition, results, options));
  }

  private async stepConversationTraced(
    tx: Tx,
    snapshot: ConversationSnapshot,
    event: ConversationActorEvent,
    partition: number,
    results: StepResults,
    options: { created?: ConversationIdentity; alongside?: ((writes: StepWrites) => void) | undefined },
  ): Promise<void> {
    const [next, actions] = transition(conversationMachine, snapshot, event);
    const ctx = next.context;
    const state = String(next.value);
    const stored = {
      state,
      queue: ctx.queue,
      agentId: ctx.agentId,
      lastMessageAt: new Date(ctx.lastMessageAt),
      closedAt: ctx.closedAt ? new Date(ctx.closedAt) : null,
      snapshot: conversationMachine.getPersistedSnapshot(next),
    };
    const writes = new StepWrites(tx);
    if (options.created) writes.insertConversation(options.created, stored);
    else writes.saveConversation(ctx.id, stored);
    options.alongside?.(writes);
    this.apply(writes, { tenant: ctx.tenant, kind: 'conversation', id: ctx.id, partition }, collectEffects(actions), results);
    results.outboxRows.push(...(await writes.flush()));
    results.after.push(() => this.hooks.conversationChanged(state, ctx, event));
  }

  private stepAgent(tx: Tx, snapshot: AgentSnapshot, event: AgentActorEvent, partition: number, results: StepResults): Promise<void> {
    const attributes = { 'parley.actor.kind': 'agent', 'parley.actor.id': snapshot.context.id, 'parley.event': event.type, 'parley.partition': partition };
    return inInternalSpan('step agent', attributes, () => this.stepAgentTraced(tx, snapshot, event, partition, results));
  }

  private async stepAgentTraced(tx: Tx, snapshot: AgentSnapshot, event: AgentActorEvent, partition: number, results: StepResults): Promise<void> {
    const [next, actions] = transition(agentMachine, snapshot, event);
    const ctx = next.context;
    const state = String(next.value);
    const writes = new StepWrites(tx);
    writes.saveAgent({ tenant: ctx.tenant, id: ctx.id, name: ctx.name, presence: ctx.presence, partition, snapshot: agentMachine.getPersistedSnapshot(next) });
    this.apply(writes, { tenant: ctx.tenant, kind: 'agent', id: ctx.id, partition }, collectEffects(actions), results);
    results.outboxRows.push(...(await writes.flush()));
    results.after.push(() => this.hooks.agentChanged(state, ctx, event));
  }

  /** Durable effects join the step's writes; the others wait for the commit. */
  private apply(
    writes: StepWrites,
    actor: { tenant: string; kind: 'conversation' | 'agent'; id: string; partition: number },
    effects: Effect[],
    results: StepResults,
  ): void {
    const { tenant, partition } = actor;
    const outbox: NewOutboxRow[] = [];
    // What the outbox sends later continues this step's trace.
    const carrier = traceCarrier();
    const trace_context = Object.keys(carrier).length > 0 ? JSON.stringify(carrier) : null;
    for (const effect of effects) {
      switch (effect.kind) {
        case 'send':
          outbox.push({ tenant, partition, kind: 'actor', target_kind: effect.to.kind, target_id: effect.to.id, subject: null, msg_id: null, payload: JSON.stringify(effect.event), trace_context });
          break;
        case 'deliver':
          outbox.push({ tenant, partition, kind: 'publish', target_kind: null, target_id: null, subject: subjects.outbound(tenant, effect.message.channel), msg_id: effect.message.id, payload: JSON.stringify(effect.message), trace_context });
          results.after.push(() => this.hooks.messageDelivered(tenant, effect.message.channel));
          break;
        case 'notify':
          results.after.push(() => this.hooks.notify(tenant, effect.agentId, effect.event));
          break;
        case 'reply':
          results.after.push(() =>
            this.hooks.notify(tenant, effect.agentId, {
              type: 'command.result',
              commandId: effect.commandId,
              ok: effect.error === undefined,
              ...(effect.error && { error: { code: effect.error, message: ErrorCodes[effect.error].message } }),
            }),
          );
          break;
        case 'bot.ask':
          results.after.push(() => this.hooks.askBot(tenant, actor.id, effect));
          break;
        case 'timer.arm': {
          const dueAt = new Date(effect.at);
          writes.armTimer({ tenant, actorKind: actor.kind, actorId: actor.id, name: effect.name }, { partition, dueAt, event: effect.event });
          results.after.push(() => this.hooks.timerArmed(dueAt));
          break;
        }
        case 'timer.cancel':
          writes.cancelTimer({ tenant, actorKind: actor.kind, actorId: actor.id, name: effect.name });
          break;
        case 'message.store':
          writes.insertMessage(
            {
              id: effect.message.id,
              tenant,
              conversation_id: effect.message.conversationId,
              customer_id: effect.customerId,
              channel: effect.message.channel,
              direction: effect.message.direction,
              platform_message_id: effect.platformMessageId ?? null,
              agent_id: effect.message.agentId ?? null,
              text: effect.message.text ?? null,
              attachments: effect.message.attachments ? JSON.stringify(effect.message.attachments) : null,
              content: effect.message.content ? JSON.stringify(effect.message.content) : null,
              sent_at: effect.message.sentAt,
              delivery_status: null,
              delivery_reason: null,
              delivery_updated_at: null,
            },
            { once: true },
          );
          break;
        case 'assignment.wrap-up':
          writes.setWrapUpCode(effect.offerId, effect.code);
          break;
        case 'assignment.offer':
          writes.offer({ id: effect.offerId, tenant, conversationId: effect.conversationId, agentId: actor.id, queue: effect.queue, offeredAt: new Date(effect.at), reason: effect.reason });
          break;
        case 'assignment.update': {
          writes.updateAssignment(effect.offerId, effect.state, new Date(effect.at));
          if (effect.state !== 'ended') {
            results.after.push(() => this.hooks.offerEnded(tenant, effect.queue, effect.state, effect.offeredAt, effect.at));
          }
          break;
        }
      }
    }
    writes.queueOutbox(outbox);
  }

  /** Runs the after-commit work of a step. Never throws: a failure here is retried by the outbox sweep. */
  commit(results: StepResults): void {
    if (results.outboxRows.length > 0) this.hooks.outbox(results.outboxRows);
    for (const after of results.after) after();
  }
}

/** The actor lives in another partition than the sender thought (the partition count changed under it). */
function misrouted(target: ActorTarget, actual: number | null): ParleyError {
  return new ParleyError('notPartitionOwner', `${target.kind} ${target.id} is in partition ${actual ?? 'none'}, not ${target.partition}`);
}

function restore(machine: AnyStateMachine, persisted: unknown) {
  const p = persisted as { value: StateValue; context: never };
  return machine.resolveState({ value: p.value, context: p.context });
}

