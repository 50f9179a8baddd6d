import type { Kysely } from 'kysely';
import type { AnyMachineSnapshot } from 'xstate';
import { ParleyError } from '../contract/index.ts';
import { consumeOrigins, saveActors, StepWrites, type Database, type TakenOrigin } from '../store/index.ts';
import type { StepResults } from './step-results.ts';
import type { ActorKind, PersistedState } from './actor-kind.ts';
import type { ActorCache } from './actor-cache.ts';
import type { Fences } from './ownership.ts';

type Tx = Kysely<Database>;

/** An actor as one transaction last stepped it. */
interface Stepped {
  kind: ActorKind;
  tenant: string;
  partition: number;
  next: AnyMachineSnapshot;
  /** Its persisted snapshot's state (what the cache gets once committed): made when first read. */
  readonly persisted: PersistedState;
  /** That snapshot as JSON text (what the row gets): made when first read. */
  readonly snapshot: string;
  /** The row's version: the one to compare-and-set while `dirty`, the one written once saved. */
  version: number;
  /** Stepped but not written yet. */
  dirty: boolean;
}

/** The snapshot writes of one kind's actors stepped from memory. */
interface SnapshotWrite {
  kind: ActorKind;
  steps: Stepped[];
}

/**
 * A row changed behind the in-memory copy of its actor (the compare-and-set on its
 * version matched nothing): the transaction fails and its actors are evicted, so that a
 * retry reads them from the store.
 */
export class ActorChanged extends ParleyError {
  constructor(message: string) {
    super('unavailable', message);
  }
}

/**
 * An event an actor held in memory took from the outbox was consumed already (a
 * redelivery), or an older one for the same actor is still pending: the transaction fails
 * and its actors are evicted, so that the retry checks the event before its step.
 */
export class OriginUnsettled extends ParleyError {
  constructor() {
    super('unavailable', 'an outbox event was delivered twice, or ahead of an older one for its actor');
  }
}

/**
 * What one transaction did to its actors: the latest state of each (later steps of the
 * same actor in the transaction start from it, not from the cache, which holds only
 * committed states) and the writes not sent yet.
 *
 * Nothing a step writes is sent with the step. Its writes (its durable effects, and the
 * row of an actor the transaction read locked or created) wait in one `StepWrites`; the
 * snapshot writes of actors stepped from memory wait to go out in one statement per kind;
 * the outbox events those actors took wait to be consumed in one statement. `flush` sends
 * them, in that order, before anything reads what they change; the last flush, before
 * the commit, sends the writes and the snapshot writes in one statement (`flushFenced`).
 * An actor has at most one write pending: a second step of it flushes first, so the row
 * goes through each step's state in turn (the report triggers on `conversations` see
 * every change of state and queue), except for a kind that needs only the last state
 * (`ActorKind.lastStateOnly`: agents), whose later step replaces the pending write
 * (compared and set on the same version). Work that reads actor rows by their key (a
 * customer message looking up its conversation) flushes first when an actor of that key
 * has writes pending (`writesPendingFor`).
 */
export class TransactionActors {
  private readonly actors = new Map<string, Stepped>();
  /** Actors read in the transaction, stepped or not: evicted if it fails. */
  private readonly touched = new Set<string>();
  /** The steps' writes not sent yet (see `StepWrites`), and whose outbox rows they hold, in order. */
  private steps: StepWrites | undefined;
  private outboxOf: { results: StepResults; rows: number }[] = [];
  /** Actors whose row write (an insert, or an update of a row read locked) is in `steps`. */
  private readonly rowWritten = new Set<string>();
  /** The opener keys (`ActorKind.keyOfActor`) of the actors with writes pending. */
  private readonly pendingKeys = new Set<string>();
  /** The opener keys of every actor the transaction stepped, written since or not. */
  private readonly steppedKeys = new Set<string>();
  /** Outbox events taken by actors held in memory, in order, not consumed yet. */
  private origins: TakenOrigin[] = [];

  constructor(private readonly tx: Tx) {}

  /** The writes of the transaction's steps since the last flush. */
  get writes(): StepWrites {
    return (this.steps ??= new StepWrites(this.tx));
  }

  /** A step queued this many outbox rows in `writes`: they go to its results once stored. */
  queuedOutbox(results: StepResults, rows: number): void {
    if (rows > 0) this.outboxOf.push({ results, rows });
  }

  /** The actor's row write is in `writes`. */
  rowWrittenBy(key: string): void {
    this.rowWritten.add(key);
  }

  /** An actor held in memory took an outbox event: its row is consumed with the transaction's writes (`consumeOrigins`). */
  tookOrigin(origin: TakenOrigin): void {
    this.origins.push(origin);
  }

  /** Whether the actor's row has a write pending, in `writes` or deferred: its next write must come after a flush. */
  hasPendingWrite(key: string): boolean {
    return this.rowWritten.has(key) || this.pending(key);
  }

  /** The actor's state as this transaction left it. */
  get(key: string): Stepped | undefined {
    return this.actors.get(key);
  }

  touch(key: string): void {
    this.touched.add(key);
  }

  /** Whether the actor has a write pending (its next step must `flush` first). */
  pending(key: string): boolean {
    return this.actors.get(key)?.dirty ?? false;
  }

  /** Records a step: `dirty` when its write is deferred to `flush`, else it was written with the step (`version`: the row's now). */
  stepped(key: string, stepped: Stepped): void {
    this.touched.add(key);
    this.actors.set(key, stepped);
    const opened = stepped.kind.keyOfActor?.(stepped.next);
    if (opened === undefined) return;
    this.pendingKeys.add(`${stepped.kind.kind}\u0000${opened}`);
    this.steppedKeys.add(`${stepped.kind.kind}\u0000${opened}`);
  }

  /** Whether an actor of the kind found by this opener key was stepped in the transaction, written since or not. */
  steppedByKey(kind: string, key: string): boolean {
    return this.steppedKeys.has(`${kind}\u0000${key}`);
  }

  /** Whether an actor of the kind found by this opener key has writes pending (see `ActorKind.keyOfActor`). */
  writesPendingFor(kind: string, key: string): boolean {
    return this.pendingKeys.has(`${kind}\u0000${key}`);
  }

  /**
   * Sends what the transaction's steps wrote so far: their writes in one statement (the
   * outbox rows go to each step's results), then the snapshot writes deferred (of one
   * kind, or all), one statement per kind. Before anything reads rows the steps wrote.
   */
  async flush(only?: ActorKind): Promise<void> {
    await this.flushWrites();
    await this.flushSnapshots(only);
    await this.flushOrigins();
    if (!only) this.pendingKeys.clear();
    else for (const key of this.pendingKeys) if (key.startsWith(`${only.kind}\u0000`)) this.pendingKeys.delete(key);
  }

  /**
   * The last flush, before the commit: the writes, the snapshot writes and the fences'
   * epochs not read yet in one statement (the epochs alone when nothing is written). The
   * epochs are checked before the snapshots' compare-and-set, so that a node that lost a
   * partition learns it as such, not as rows changed behind its actors.
   */
  async flushFenced(fences: Fences): Promise<void> {
    // The snapshot writes go in the same statement as the other writes, unless an actor
    // has both pending (a row created or read locked, then stepped from memory): a
    // statement does not see its own changes, so its compare-and-set must come after.
    const saves = this.snapshotWrites();
    const together = saves.length > 0 && ![...this.rowWritten].some((key) => this.actors.get(key)?.dirty);
    await this.flushWrites(fences, together ? saves : []);
    await fences.read(this.tx);
    if (!together) await this.flushSnapshots();
    await this.flushOrigins();
    this.pendingKeys.clear();
  }

  private async flushOrigins(): Promise<void> {
    if (this.origins.length === 0) return;
    const origins = this.origins;
    this.origins = [];
    if (!(await consumeOrigins(this.tx, origins)).settled) throw new OriginUnsettled();
  }

  /**
   * Sends the steps' writes, with the fences' epochs not read yet and the snapshot writes
   * `saves` (`snapshotWrites`) if given, in one statement. The epochs are checked before
   * the snapshots' compare-and-set, so that a node that lost a partition learns it as
   * such, not as rows changed behind its actors.
   */
  private async flushWrites(fences?: Fences, saves: readonly SnapshotWrite[] = []): Promise<void> {
    const steps = saves.length > 0 ? this.writes : this.steps;
    if (!steps) return;
    const outboxOf = this.outboxOf;
    this.steps = undefined;
    this.outboxOf = [];
    this.rowWritten.clear();
    if (steps.empty && saves.length === 0) return;
    const { outbox: rows, epochs, counts } = await steps.flushFenced(
      fences?.unread ?? [],
      saves.map(({ kind, steps: saved }) => kind.save(saved)),
    );
    fences?.verifyRead(epochs);
    saves.forEach((save, i) => this.saved(save, counts[i] ?? 0));
    let at = 0;
    for (const { results, rows: n } of outboxOf) {
      results.outboxRows.push(...rows.slice(at, at + n));
      at += n;
    }
  }

  /** The pending snapshot writes (of one kind, or all), grouped by kind. */
  private snapshotWrites(only?: ActorKind): SnapshotWrite[] {
    const byKind = new Map<ActorKind, Stepped[]>();
    for (const stepped of this.actors.values()) {
      if (!stepped.dirty || (only && stepped.kind !== only)) continue;
      const list = byKind.get(stepped.kind);
      if (list) list.push(stepped);
      else byKind.set(stepped.kind, [stepped]);
    }
    return [...byKind].map(([kind, steps]) => ({ kind, steps }));
  }

  /** Sends the pending snapshot writes (of one kind, or all), one statement per kind. */
  private async flushSnapshots(only?: ActorKind): Promise<void> {
    for (const save of this.snapshotWrites(only)) this.saved(save, await saveActors(this.tx, save.kind.save(save.steps)));
  }

  /** A snapshot write went out and wrote `written` rows; throws `ActorChanged` when a row's version had moved. */
  private saved({ kind, steps }: SnapshotWrite, written: number): void {
    if (written !== steps.length) throw new ActorChanged(`${steps.length - written} ${kind.kind} row(s) changed behind their in-memory copies`);
    for (const stepped of steps) {
      stepped.dirty = false;
      stepped.version++;
    }
  }

  /** After the commit: the cache gets the committed states, under the epochs the transaction was fenced with. */
  committed(cache: ActorCache, epochOf: (partition: number) => number | undefined): void {
    for (const [key, stepped] of this.actors) {
      const epoch = epochOf(stepped.partition);
      if (epoch === undefined || stepped.dirty) cache.evict(key);
      else {
        // What restoring reads, and nothing else of the snapshot (its status, its children).
        const { value, context } = stepped.persisted;
        cache.put(key, stepped.partition, epoch, { tenant: stepped.tenant, state: { value, context }, version: stepped.version });
      }
    }
  }

  /** The transaction failed (or its outcome is unknown): nothing it read or stepped stays in memory. */
  failed(cache: ActorCache): void {
    for (const key of this.touched) cache.evict(key);
  }
}
