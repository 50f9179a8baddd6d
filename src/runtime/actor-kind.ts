import type { Kysely, RawBuilder } from 'kysely';
import type { AnyMachineSnapshot, AnyStateMachine, StateValue } from 'xstate';
import type { Database, OpenActorRequest, OpenedActor, StepWrites } from '../store/index.ts';
import type { Fence } from './ownership.ts';
import type { StepResults } from './step-results.ts';

type Tx = Kysely<Database>;

/** An event for an actor: the runtime needs only its type. */
export interface ActorEvent {
  type: string;
}

/** An event for an actor, before anyone looked up the actor's partition. */
export interface ActorAddress<E extends ActorEvent = ActorEvent> {
  kind: string;
  tenant: string;
  id: string;
  event: E;
}

/** An event for an actor in a known partition. */
export type ActorTarget<E extends ActorEvent = ActorEvent> = ActorAddress<E> & { partition: number };

/** Where an event came from, so a redelivery is recognized and dropped. */
export interface Origin {
  outboxId?: string;
  timerId?: string;
}

/** What a machine's persisted snapshot holds of its state: what the row's JSON and the actor cache keep, and all that restoring reads. */
export interface PersistedState {
  value: StateValue;
  context: unknown;
}

/** An actor's stored row, as far as the host reads it. */
export interface ActorRow {
  tenant: string;
  partition: number | null;
  snapshot: unknown;
  /** Raised by every write of the snapshot: the next write is a compare-and-set on it. */
  version: number;
}

/** The write of an existing actor's stepped snapshot (see `ActorKind.save`). */
export interface SavedStep {
  next: AnyMachineSnapshot;
  /** The persisted snapshot as JSON text. */
  snapshot: string;
  /** The version the row must still have. */
  version: number;
}

/** What the context of every actor holds. */
export interface ActorIdentity {
  tenant: string;
  id: string;
}

/** An actor held in memory (active): its state, and the version of its row that state was committed with. */
export interface ActiveActor {
  snapshot: AnyMachineSnapshot;
  version: number;
}

/** Steps actors inside a transaction: what an activation step (`KindOpener.open`) may do. */
export interface ActorStepper {
  /**
   * Sends what the transaction's steps wrote so far (their writes, and the deferred
   * snapshot writes of one kind, or all): an opener calls it before it reads rows by
   * other ways than an actor's id, so that it sees the steps before it.
   */
  flush(tx: Tx, kind?: string): Promise<void>;
  /** Whether an actor of the kind found by this key (`ActorKind.keyOfActor`) has writes pending in the transaction: an opener about to read it by key must `flush` first. */
  writesPendingFor(tx: Tx, kind: string, key: string): boolean;
  /** Whether an actor of the kind found by this key was stepped in the transaction: what was read of it by key before its step (`KindOpener.prepare`) is stale. */
  steppedByKey(tx: Tx, kind: string, key: string): boolean;
  /** The actor's state if it is active in this node's memory under the fence's epoch (as this transaction left it, else as committed); undefined otherwise: read its row. */
  activeActor(tx: Tx, kind: string, actor: Omit<ActorTarget, 'event' | 'kind'>, epoch: number): ActiveActor | undefined;
  /** Runs an event through an active actor from memory (`activeActor`): nothing is read; its writes join the transaction's. */
  stepActive(tx: Tx, kind: string, active: ActiveActor, target: ActorTarget, results: StepResults, alongside?: (writes: StepWrites) => void): Promise<void>;
  /** Runs an event through an actor whose row the transaction holds locked (undefined: it does not exist); `alongside` adds writes to the step's statement. */
  stepLoaded<E extends ActorEvent>(tx: Tx, target: ActorTarget<E>, row: ActorRow | undefined, results: StepResults, alongside?: (writes: StepWrites) => void): Promise<boolean>;
  /** Creates an actor with its first event already applied (one insert, instead of insert, read back and update). */
  create(tx: Tx, kind: string, created: unknown, snapshot: AnyMachineSnapshot, event: ActorEvent, results: StepResults, alongside?: (writes: StepWrites) => void): Promise<void>;
}

/**
 * Activation by key: work addressed not to an actor's id but to a key that finds or
 * starts one (a customer message, by its conversation key, finds the open conversation
 * or starts a new one). It runs in the key's partition.
 */
export interface KindOpener<Input = unknown, Outcome = unknown> {
  /** The partition key of the work (hashed into the partition). */
  keyOf(input: Input): string;
  /** Runs the work inside the caller's transaction, fenced on the key's partition; the caller commits, then runs `results`. */
  open(tx: Tx, fence: Fence, input: Input, results: StepResults, actors: ActorStepper): Promise<Outcome>;
  /**
   * Before a transaction runs several pieces of work of the kind (in this order), reads
   * ahead for them in one round trip what each `open` would read for itself. What `open`
   * then takes of it must still hold: not for a key an earlier step of the transaction
   * changed (`ActorStepper.steppedByKey`).
   */
  prepare?(tx: Tx, work: readonly { fence: Fence; input: Input }[], actors: ActorStepper): Promise<void>;
}

/**
 * A kind of actor the runtime hosts: its machine, how it is found, loaded and stored. A
 * domain registers its kinds with the host; the runtime never imports a domain.
 */
export interface ActorKind {
  readonly kind: string;
  readonly machine: AnyStateMachine;
  /** The partition of an actor of this kind; undefined when it does not exist. */
  partitionOf(tenant: string, id: string, partitions: number): number | undefined | Promise<number | undefined>;
  /** Reads the actor's row locked, with the fence's epoch and its origin consumed, in one round trip (`openActor`). */
  load(tx: Tx, request: Omit<OpenActorRequest, 'kind'>): Promise<OpenedActor<ActorRow>>;
  /** The checks of `load` without the row, for an actor the host holds in memory (`openOrigin`). */
  checkOrigin(tx: Tx, request: Omit<OpenActorRequest, 'kind'>): Promise<Omit<OpenedActor<never>, 'row'>>;
  /** An actor that does not exist yet and that this event creates; undefined: the event is for no one. */
  createdBy?(target: ActorTarget): AnyMachineSnapshot | undefined;
  /**
   * Adds the write of a stepped snapshot to the step's writes, for an actor whose row the
   * transaction holds locked (it raises the row's version): the insert of a new actor
   * (`created`: its identity, for a kind that needs one), else an update.
   */
  write(writes: StepWrites, next: AnyMachineSnapshot, partition: number, created?: unknown): void;
  /**
   * The write of the stepped snapshots of actors held in memory (their rows not read, so
   * not locked), many in one data-modifying statement, each a compare-and-set on its
   * version, returning one row per row written (`conversationSaves`): the runtime sends it
   * with the transaction's last writes, or alone.
   */
  save(steps: readonly SavedStep[]): RawBuilder<unknown>;
  /**
   * Nothing reads the kind's rows between two steps of a transaction (no trigger, no
   * lookup by other ways than the id): an actor stepped again from memory in the same
   * transaction replaces its pending write, so the row is written once per transaction
   * with its last state, instead of once per step. Leave unset when the row must go
   * through each step's state (triggers on `conversations` record every state change).
   */
  readonly lastStateOnly?: boolean;
  /**
   * Its actors' events run apart from their partition's other work (`RunOptions.apart`):
   * a transaction holding the partition's customer messages and other actors' events
   * does not hold them up. Only for a kind whose steps write no row that another kind's
   * steps write at the same time (an agent: its row, its timers, its offers and their
   * outcomes; a conversation writes the wrap-up code of an assignment that has ended).
   */
  readonly apart?: boolean;
  /** Work addressed by key (see `KindOpener`). */
  readonly opener?: KindOpener;
  /** The key its opener finds an actor of this kind by (`KindOpener.keyOf`), from its state: what the transaction's pending writes are tracked by (`ActorStepper.writesPendingFor`). */
  keyOfActor?(snapshot: AnyMachineSnapshot): string;
}
