import type { Kysely } from 'kysely';
import { type AnyMachineSnapshot, type AnyStateMachine, type StateValue } from 'xstate';
import { ErrorCodes, ParleyError, subjects } from '../contract/index.ts';
import type { Database, NewOutboxRow, OutboxRow } from '../store/index.ts';
import { isWriteRace, messageRow, type StepWrites } from '../store/index.ts';
import { inInternalSpan, traceCarrier } from '../bus/index.ts';
import type { ActiveActor, ActorEvent, ActorIdentity, ActorKind, ActorRow, ActorStepper, ActorTarget, Origin, PersistedState } from './actor-kind.ts';
import { ActorCache, actorKey, type ActorCacheOptions } from './actor-cache.ts';
import { ActorChanged, OriginUnsettled, TransactionActors } from './transaction-actors.ts';
import { collectEffects } from './collect-effects.ts';
import { pureTransition } from './pure-transition.ts';
import type { Effect } from './effects.ts';
import { GroupCommit, type BatchActivation, type GroupCommitOptions, type PartitionWork, type RunOptions } from './group-commit.ts';
import type { StepResults } from './step-results.ts';
import { Fences, WorkInProgress, type Fence, type Ownership } from './ownership.ts';

type Tx = Kysely<Database>;

export type AgentEventBody = Extract<Effect, { kind: 'notify' }>['event'];

/** What the host tells the rest of the router after a transaction commits. */
export interface HostHooks {
  /** Durable effects committed to the outbox: deliver or publish them now. */
  outbox(rows: OutboxRow[]): void;
  /** Best-effort events for an agent's clients. */
  notify(tenant: string, agentId: string, event: AgentEventBody): void;
  /** An actor's committed state (its context), the event that led to it, and the state it was in before (undefined: the event created it). */
  changed(kind: string, state: string, context: ActorIdentity, event: ActorEvent, previous: string | undefined): void;
  timerArmed(dueAt: Date): void;
  offerEnded(tenant: string, queue: string | null, outcome: string, offeredAt?: string, at?: string): void;
  messageDelivered(tenant: string, channel: string): void;
  /** Ask a conversation's bot; the answer comes back to the conversation as an event. */
  askBot(tenant: string, conversationId: string, ask: Extract<Effect, { kind: 'bot.ask' }>): void;
  /** How long one event (or one piece of work opened by key) took, load to commit. */
  stepTook(actor: string, seconds: number): void;
}

export interface ActorHostOptions extends GroupCommitOptions, ActorCacheOptions {
  /**
   * Work waiting for its transaction at most; work opened by key (a customer message)
   * beyond is refused as `unavailable` and stays where it came from (JetStream) to be
   * redelivered, instead of piling up in memory while the database is slow.
   */
  maxBacklog: number;
}

/** What work opened by key activates: its kind's opener, and the opener's input. */
interface Activation {
  kind: string;
  input: unknown;
}

/** Attempts of one event or one piece of work opened by key when an actor's row changed behind its in-memory copy. */
const ATTEMPTS = 3;

/**
 * Hosts the actors of registered kinds (`ActorKind`): take the actor's snapshot (from
 * memory, or its row), run the pure transition, store the new snapshot with its durable
 * effects in the same transaction, then perform the rest once committed. A crash at any
 * point leaves either the old state with the event still to be redelivered, or the new
 * state with its effects in the outbox.
 *
 * Actors are virtual: activated from their stored snapshot on first use, kept in memory
 * (`actors`, as compact persisted snapshots) while active, passivated when idle. An
 * active actor's event reads nothing of its row; its snapshot write joins the other
 * steps' of the transaction in one statement per kind, a compare-and-set on the row's
 * version. Every transaction is fenced on its actors' partitions: it runs only while
 * this node owns them with the epochs the store holds, and the memory of a partition is
 * trusted only under the epoch it was committed with (see `ActorCache`). All work on a
 * partition's actors goes through one group commit (`run`), which runs a partition's
 * work in order, one transaction at a time.
 */
export class ActorHost implements ActorStepper {
  /** Transactions in progress: a stopping router lets them finish. */
  readonly work = new WorkInProgress();
  /** The active actors of the partitions this node owns. */
  readonly actors: ActorCache;
  private readonly group: GroupCommit;
  private readonly kinds: ReadonlyMap<string, ActorKind>;
  private readonly maxBacklog: number;
  /** Transactions that found an actor's row changed behind its in-memory copy (fencing rules that out: anything but 0 is a bug to look into). */
  conflicts = 0;
  /** What each transaction in progress did to its actors. */
  private readonly inTransaction = new WeakMap<Tx, TransactionActors>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly hooks: HostHooks,
    private readonly ownership: Ownership,
    kinds: readonly ActorKind[],
    options: ActorHostOptions,
  ) {
    this.kinds = new Map(kinds.map((k) => [k.kind, k]));
    this.maxBacklog = options.maxBacklog;
    this.actors = new ActorCache(options);
    this.group = new GroupCommit(
      (partitions, body) => this.transactionOn(partitions, body),
      (results) => this.commit(results),
      options,
      (tx, fences, activations) => this.prepare(tx, fences, activations),
    );
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

  /** Express transactions running now (see `GroupCommit`). */
  get expressRunning(): number {
    return this.group.expressRunning;
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
    const outcome = await this.retried(() =>
      this.run(
        partition,
        (tx, fence, results) => opener.open(tx, fence, input, results, this),
        { opens: opener.keyOf(input), activation: { kind: kindName, input } satisfies Activation },
      ),
    );
    this.hooks.stepTook(`${kindName}.open`, (performance.now() - started) / 1000);
    return outcome;
  }

  /** Lets each kind's opener read ahead for the work of a transaction opened by key (`KindOpener.prepare`). */
  private async prepare(tx: Tx, fences: Fences, activations: readonly BatchActivation[]): Promise<void> {
    const byKind = new Map<string, { fence: Fence; input: unknown }[]>();
    for (const { partition, activation } of activations) {
      const { kind, input } = activation as Activation;
      const work = { fence: fences.get(partition), input };
      const list = byKind.get(kind);
      if (list) list.push(work);
      else byKind.set(kind, [work]);
    }
    for (const [kind, work] of byKind) await this.kind(kind).opener?.prepare?.(tx, work, this);
  }

  /**
   * Delivers one event to an actor. Resolves to false when the actor does not exist (and
   * the event does not create it). An event from the outbox or a timer that was already
   * consumed is dropped.
   */
  async send<E extends ActorEvent>(target: ActorTarget<E>, origin: Origin = {}): Promise<boolean> {
    const started = performance.now();
    const kind = this.kind(target.kind);
    const request = { tenant: target.tenant, id: target.id, partition: target.partition, ...origin };
    const fromOrigin = origin.outboxId !== undefined || origin.timerId !== undefined;
    const found = await this.retried(() =>
      this.run(target.partition, async (tx, fence, results) => {
        const active = this.active(tx, kind, target, fence.epoch);
        const actors = this.transactionActors(tx);
        // What the transaction's steps wrote so far is sent before a read: the actor's row,
        // or a timer a step may have re-armed.
        if (!active || origin.timerId !== undefined) await actors.flush();
        // An active actor's row is not read. Its event from the outbox is taken as new and in
        // order, and its row consumed with the transaction's writes, which checks both
        // (`OriginUnsettled` otherwise); a timer's firing is consumed first.
        const loaded = active ? undefined : await kind.load(tx, request);
        if (active && origin.outboxId !== undefined) actors.tookOrigin({ outboxId: origin.outboxId, kind: kind.kind, tenant: target.tenant, id: target.id });
        const opened = active && origin.timerId !== undefined ? await kind.checkOrigin(tx, request) : loaded;
        if (opened) {
          fence.verify(opened.epoch);
          // An earlier event for this actor is still on its way (its delivery failed, e.g.
          // during a handover): this one waits, and the outbox sweep delivers both in order.
          if (opened.earlierPending) {
            throw new ParleyError('unavailable', `an earlier event for ${target.kind} ${target.id} is not delivered yet`);
          }
          if (fromOrigin && !opened.originConsumed) return true;
        }
        if (active) {
          await this.step(tx, kind, active.snapshot, target.event, target.partition, results, { version: active.version });
          return true;
        }
        return this.stepLoaded(tx, target, loaded?.row, results);
      }, { apart: kind.apart }),
    );
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
    let actors: TransactionActors | undefined;
    try {
      const result = await this.work.run(() =>
        this.db.transaction().execute(async (tx) => {
          actors = new TransactionActors(tx);
          this.inTransaction.set(tx, actors);
          const result = await body(tx, fences);
          // The epochs not read yet go with the last writes (`flushFenced`); then the leases.
          await actors.flushFenced(fences);
          await fences.close(tx);
          return result;
        }),
      );
      (actors as TransactionActors).committed(this.actors, (p) => {
        const epoch = fences.epochOf(p);
        return epoch !== undefined && this.ownership.epochOf(p) === epoch ? epoch : undefined;
      });
      return result;
    } catch (err) {
      // Rolled back, or a commit whose outcome is unknown: the store may be behind or ahead of any copy in memory.
      actors?.failed(this.actors);
      throw err;
    }
  }

  /**
   * Runs work again when an actor's row changed behind its in-memory copy, or when a write
   * lost a race on a unique row (a customer message stored meanwhile, by a redelivery
   * stepped from memory or another transaction): the failed transaction evicted its
   * actors, so the retry reads their rows, and what the other writer stored.
   */
  private async retried<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (err) {
        const changed = err instanceof ActorChanged;
        if (!changed && !(err instanceof OriginUnsettled) && !isWriteRace(err)) throw err;
        if (changed) this.conflicts++;
        if (attempt >= ATTEMPTS) throw err;
      }
    }
  }

  async flush(tx: Tx, kindName?: string): Promise<void> {
    await this.transactionActors(tx).flush(kindName === undefined ? undefined : this.kind(kindName));
  }

  writesPendingFor(tx: Tx, kindName: string, key: string): boolean {
    return this.transactionActors(tx).writesPendingFor(kindName, key);
  }

  steppedByKey(tx: Tx, kindName: string, key: string): boolean {
    return this.transactionActors(tx).steppedByKey(kindName, key);
  }

  activeActor(tx: Tx, kindName: string, actor: Omit<ActorTarget, 'event' | 'kind'>, epoch: number): ActiveActor | undefined {
    return this.active(tx, this.kind(kindName), actor, epoch);
  }

  async stepActive(tx: Tx, kindName: string, active: ActiveActor, target: ActorTarget, results: StepResults, alongside?: (writes: StepWrites) => void): Promise<void> {
    await this.step(tx, this.kind(kindName), active.snapshot, target.event, target.partition, results, { version: active.version, alongside });
  }

  /** The actor's state in memory: as this transaction left it, else as committed under the fence's epoch. */
  private active(tx: Tx, kind: ActorKind, target: Omit<ActorTarget, 'event' | 'kind'>, epoch: number): ActiveActor | undefined {
    const actors = this.transactionActors(tx);
    const key = actorKey(kind.kind, target.tenant, target.id);
    actors.touch(key);
    const stepped = actors.get(key);
    if (stepped) return stepped.partition === target.partition ? { snapshot: stepped.next, version: stepped.version } : undefined;
    const cached = this.actors.get(key, target.partition, epoch);
    if (!cached || cached.tenant !== target.tenant) return undefined;
    return { snapshot: restore(kind.machine, cached.state), version: cached.version };
  }

  private transactionActors(tx: Tx): TransactionActors {
    const actors = this.inTransaction.get(tx);
    if (!actors) throw new Error('actors are stepped only inside the host\'s transactions (transactionOn)');
    return actors;
  }

  async stepLoaded<E extends ActorEvent>(tx: Tx, target: ActorTarget<E>, row: ActorRow | undefined, results: StepResults, alongside?: (writes: StepWrites) => void): Promise<boolean> {
    const kind = this.kind(target.kind);
    // An actor id from another tenant is as good as unknown.
    if (row && row.tenant !== target.tenant) return false;
    if (row && row.partition !== target.partition) throw misrouted(target, row.partition);
    if (row) {
      // An actor this transaction stepped already goes on from that step (its row may not have been written yet).
      const stepped = this.transactionActors(tx).get(actorKey(kind.kind, target.tenant, target.id));
      const snapshot = stepped ? stepped.next : restore(kind.machine, row.snapshot);
      await this.step(tx, kind, snapshot, target.event, target.partition, results, { alongside, locked: row.version });
      return true;
    }
    const snapshot = kind.createdBy?.(target);
    if (!snapshot) return false;
    await this.step(tx, kind, snapshot, target.event, target.partition, results, { alongside, created: {} });
    return true;
  }

  async create(tx: Tx, kindName: string, created: unknown, snapshot: AnyMachineSnapshot, event: ActorEvent, results: StepResults, alongside?: (writes: StepWrites) => void): Promise<void> {
    const { partition } = created as { partition: number };
    await this.step(tx, this.kind(kindName), snapshot, event, partition, results, { created, alongside });
  }

  /**
   * Transitions an actor (given its snapshot) and stores the result. A new actor's insert,
   * or the update of one whose row this transaction read and locked (`locked`: the row's
   * version), goes with the step's other writes; the update of an actor stepped from
   * memory (`version`: the one it was committed with) is deferred to the transaction's
   * snapshot writes (`TransactionActors`).
   */
  private step(
    tx: Tx,
    kind: ActorKind,
    snapshot: AnyMachineSnapshot,
    event: ActorEvent,
    partition: number,
    results: StepResults,
    options: { created?: unknown; locked?: number; version?: number; alongside?: ((writes: StepWrites) => void) | undefined },
  ): Promise<void> {
    const { id } = snapshot.context as ActorIdentity;
    const attributes = { 'parley.actor.kind': kind.kind, 'parley.actor.id': id, 'parley.event': event.type, 'parley.partition': partition };
    return inInternalSpan(`step ${kind.kind}`, attributes, async () => {
      const actors = this.transactionActors(tx);
      const [next, actions] = pureTransition(kind.machine, snapshot, event);
      const context = next.context as ActorIdentity;
      const state = String(next.value);
      const key = actorKey(kind.kind, context.tenant, context.id);
      const writesRow = options.created !== undefined || options.locked !== undefined;
      // One write pending per actor: the row goes through every step's state (unless its kind
      // needs only the last one), and a statement may change a row only once. An actor
      // created where another of its key has writes pending comes after them (a
      // conversation replacing the one its step just closed: one open per key).
      const openerKey = options.created !== undefined ? kind.keyOfActor?.(next) : undefined;
      const replacing = openerKey !== undefined && actors.writesPendingFor(kind.kind, openerKey);
      if (writesRow ? actors.hasPendingWrite(key) || replacing : actors.pending(key) && !kind.lastStateOnly) await actors.flush();
      const writes = actors.writes;
      // Its persisted snapshot and JSON are made when first needed (the row needs the JSON,
      // the cache the snapshot): a later step of the same agent in the transaction replaces
      // this one unwritten (`lastStateOnly`), and an agent's snapshot lists every
      // conversation it holds.
      let persisted: PersistedState | undefined;
      let json: string | undefined;
      const persistedState = () => (persisted ??= kind.machine.getPersistedSnapshot(next) as unknown as PersistedState);
      const stepped = (version: number, dirty: boolean) => ({
        kind,
        tenant: context.tenant,
        partition,
        next,
        get persisted() {
          return persistedState();
        },
        get snapshot() {
          return (json ??= JSON.stringify(persistedState()));
        },
        version,
        dirty,
      });
      if (writesRow) {
        kind.write(writes, next, partition, options.created);
        actors.rowWrittenBy(key);
        actors.stepped(key, stepped(options.created !== undefined ? 0 : (actors.get(key)?.version ?? options.locked ?? 0) + 1, false));
      } else {
        actors.stepped(key, stepped(actors.get(key)?.version ?? options.version ?? 0, true));
      }
      options.alongside?.(writes);
      const outboxRows = this.apply(writes, { tenant: context.tenant, kind: kind.kind, id: context.id, partition }, collectEffects(actions), results);
      // The writes go out with the transaction's next flush (before a read, or before the commit).
      actors.queuedOutbox(results, outboxRows);
      const previous = options.created !== undefined ? undefined : String(snapshot.value);
      results.after.push(() => this.hooks.changed(kind.kind, state, context, event, previous));
    });
  }

  /** Durable effects join the step's writes; the others wait for the commit. Returns the outbox rows queued. */
  private apply(
    writes: StepWrites,
    actor: { tenant: string; kind: string; id: string; partition: number },
    effects: Effect[],
    results: StepResults,
  ): number {
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
          writes.offer({
            id: effect.offerId,
            tenant,
            conversationId: effect.conversationId,
            agentId: actor.id,
            mediaType: effect.mediaType,
            queue: effect.queue,
            offeredAt: new Date(effect.at),
            reason: effect.reason,
          });
          break;
        case 'assignment.after-work-done':
          writes.afterWorkDone(effect.offerId);
          break;
        case 'assignment.update': {
          writes.updateAssignment(effect.offerId, effect.state, new Date(effect.at), effect.afterWorkUntil === undefined ? undefined : new Date(effect.afterWorkUntil));
          if (effect.state !== 'ended') {
            results.after.push(() => this.hooks.offerEnded(tenant, effect.queue, effect.state, effect.offeredAt, effect.at));
          }
          break;
        }
      }
    }
    writes.queueOutbox(outbox);
    return outbox.length;
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

