import type { Kysely } from 'kysely';
import { transition, type AnyMachineSnapshot, type AnyStateMachine, type StateValue } from 'xstate';
import { ErrorCodes, ParleyError, subjects } from '../contract/index.ts';
import type { Database, NewOutboxRow, OutboxRow } from '../store/index.ts';
import { messageRow, StepWrites } from '../store/index.ts';
import { inInternalSpan, traceCarrier } from '../bus/index.ts';
import type { ActorEvent, ActorIdentity, ActorKind, ActorRow, ActorStepper, ActorTarget, Origin } from './actor-kind.ts';
import { collectEffects } from './collect-effects.ts';
import type { Effect } from './effects.ts';
import { GroupCommit, type GroupCommitOptions, type PartitionWork, type RunOptions } from './group-commit.ts';
import type { StepResults } from './step-results.ts';
import { Fences, WorkInProgress, type Ownership } from './ownership.ts';

type Tx = Kysely<Database>;

export type AgentEventBody = Extract<Effect, { kind: 'notify' }>['event'];

/** What the host tells the rest of the router after a transaction commits. */
export interface HostHooks {
  /** Durable effects committed to the outbox: deliver or publish them now. */
  outbox(rows: OutboxRow[]): void;
  /** Best-effort events for an agent's clients. */
  notify(tenant: string, agentId: string, event: AgentEventBody): void;
  /** An actor's committed state (its context), and the event that led to it. */
  changed(kind: string, state: string, context: ActorIdentity, event: ActorEvent): void;
  timerArmed(dueAt: Date): void;
  offerEnded(tenant: string, queue: string | null, outcome: string, offeredAt?: string, at?: string): void;
  messageDelivered(tenant: string, channel: string): void;
  /** Ask a conversation's bot; the answer comes back to the conversation as an event. */
  askBot(tenant: string, conversationId: string, ask: Extract<Effect, { kind: 'bot.ask' }>): void;
  /** How long one event (or one piece of work opened by key) took, load to commit. */
  stepTook(actor: string, seconds: number): void;
}

export interface ActorHostOptions extends GroupCommitOptions {
  /**
   * Work waiting for its transaction at most; work opened by key (a customer message)
   * beyond is refused as `unavailable` and stays where it came from (JetStream) to be
   * redelivered, instead of piling up in memory while the database is slow.
   */
  maxBacklog: number;
}

/**
 * Hosts the actors of registered kinds (`ActorKind`): load the snapshot (row-locked),
 * run the pure transition, store the new snapshot with its durable effects in the same
 * transaction, then perform the rest once committed. A crash at any point leaves either
 * the old state with the event still to be redelivered, or the new state with its
 * effects in the outbox.
 *
 * Actors are virtual: nothing of an actor stays in memory between its events; each
 * event activates it from its stored snapshot and the commit passivates it again. Every
 * transaction is fenced on its actors' partitions: it runs only while this node owns
 * them with the epochs the store holds. All work on a partition's actors goes through
 * one group commit (`run`), which runs a partition's work in order, one transaction at
 * a time.
 */
export class ActorHost implements ActorStepper {
  /** Transactions in progress: a stopping router lets them finish. */
  readonly work = new WorkInProgress();
  private readonly group: GroupCommit;
  private readonly kinds: ReadonlyMap<string, ActorKind>;
  private readonly maxBacklog: number;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly hooks: HostHooks,
    private readonly ownership: Ownership,
    kinds: readonly ActorKind[],
    options: ActorHostOptions,
  ) {
    this.kinds = new Map(kinds.map((k) => [k.kind, k]));
    this.maxBacklog = options.maxBacklog;
    this.group = new GroupCommit((partitions, body) => this.transactionOn(partitions, body), (results) => this.commit(results), options);
  }

  /** The registered kind; throws for one not registered (a programming error). */
  kind(name: string): ActorKind {
    const kind = this.kinds.get(name);
    if (!kind) throw new Error(`no actor kind ${name} is registered (${[...this.kinds.keys()].join(', ')})`);
    return kind;
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
   * Runs work addressed by key (`KindOpener`) in its partition's turn of the group
   * commit; settles once committed. The first work of a key not seen goes ahead of the
   * partition's backlog. Refused as `unavailable` while the backlog is full.
   */
  async open(kindName: string, partition: number, input: unknown): Promise<unknown> {
    const opener = this.kind(kindName).opener;
    if (!opener) throw new Error(`actor kind ${kindName} opens nothing by key`);
    if (this.backlog >= this.maxBacklog) throw new ParleyError('unavailable', `${this.backlog} messages and events already wait for the database`);
    const started = performance.now();
    const outcome = await this.run(partition, (tx, fence, results) => opener.open(tx, fence, input, results, this), { opens: opener.keyOf(input) });
    this.hooks.stepTook(`${kindName}.open`, (performance.now() - started) / 1000);
    return outcome;
  }

  /**
   * Delivers one event to an actor. Resolves to false when the actor does not exist (and
   * the event does not create it). An event from the outbox or a timer that was already
   * consumed is dropped.
   */
  async send<E extends ActorEvent>(target: ActorTarget<E>, origin: Origin = {}): Promise<boolean> {
    const started = performance.now();
    const kind = this.kind(target.kind);
    const found = await this.run(target.partition, async (tx, fence, results) => {
      const opened = await kind.load(tx, { tenant: target.tenant, id: target.id, partition: target.partition, ...origin });
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

  async stepLoaded<E extends ActorEvent>(tx: Tx, target: ActorTarget<E>, row: ActorRow | undefined, results: StepResults, alongside?: (writes: StepWrites) => void): Promise<boolean> {
    const kind = this.kind(target.kind);
    // An actor id from another tenant is as good as unknown.
    if (row && row.tenant !== target.tenant) return false;
    if (row && row.partition !== target.partition) throw misrouted(target, row.partition);
    const snapshot = row ? restore(kind.machine, row.snapshot) : kind.createdBy?.(target);
    if (!snapshot) return false;
    await this.step(tx, kind, snapshot, target.event, target.partition, results, { alongside });
    return true;
  }

  async create(tx: Tx, kindName: string, created: unknown, snapshot: AnyMachineSnapshot, event: ActorEvent, results: StepResults, alongside?: (writes: StepWrites) => void): Promise<void> {
    const { partition } = created as { partition: number };
    await this.step(tx, this.kind(kindName), snapshot, event, partition, results, { created, alongside });
  }

  /** Transitions an actor (given its snapshot) and stores the result: an update, or the insert of a new one. */
  private step(
    tx: Tx,
    kind: ActorKind,
    snapshot: AnyMachineSnapshot,
    event: ActorEvent,
    partition: number,
    results: StepResults,
    options: { created?: unknown; alongside?: ((writes: StepWrites) => void) | undefined },
  ): Promise<void> {
    const { id } = snapshot.context as ActorIdentity;
    const attributes = { 'parley.actor.kind': kind.kind, 'parley.actor.id': id, 'parley.event': event.type, 'parley.partition': partition };
    return inInternalSpan(`step ${kind.kind}`, attributes, async () => {
      const [next, actions] = transition(kind.machine, snapshot, event);
      const context = next.context as ActorIdentity;
      const state = String(next.value);
      const writes = new StepWrites(tx);
      kind.store(writes, next, partition, options.created);
      options.alongside?.(writes);
      this.apply(writes, { tenant: context.tenant, kind: kind.kind, id: context.id, partition }, collectEffects(actions), results);
      results.outboxRows.push(...(await writes.flush()));
      results.after.push(() => this.hooks.changed(kind.kind, state, context, event));
    });
  }

  /** Durable effects join the step's writes; the others wait for the commit. */
  private apply(
    writes: StepWrites,
    actor: { tenant: string; kind: string; id: string; partition: number },
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
          writes.insertMessage(messageRow(effect.message, { tenant, customerId: effect.customerId, platformMessageId: effect.platformMessageId }), { once: true });
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

function restore(machine: AnyStateMachine, persisted: unknown): AnyMachineSnapshot {
  const p = persisted as { value: StateValue; context: never };
  return machine.resolveState({ value: p.value, context: p.context });
}

