import type { NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import type { Logger } from '../observability/index.ts';
import type { ActorAddress, ActorKind, Origin } from './actor-kind.ts';
import { ActorHost, type ActorHostOptions, type HostHooks } from './host.ts';
import { OutboxDispatcher } from './outbox-dispatcher.ts';
import type { Ownership } from './ownership.ts';
import { PartitionMailbox, type SendToActor } from './partition-mailbox.ts';
import { TimerService } from './timer-service.ts';

/** What the runtime tells its user after commits: the host's hooks, but for the outbox and timers, which the runtime delivers itself. */
export type RuntimeHooks = Omit<HostHooks, 'outbox' | 'timerArmed' | 'askBot'> & {
  /** Ask a conversation's bot; the answer goes back to the conversation with `send`. */
  askBot(tenant: string, conversationId: string, ask: Parameters<HostHooks['askBot']>[2], send: SendToActor): void;
};

export interface PartitionRuntimeOptions extends ActorHostOptions {
  nc: NatsConnection;
  db: Kysely<Database>;
  /** What this node owns (the partition leases). */
  ownership: Ownership & { owned(): number[] };
  kinds: readonly ActorKind[];
  hooks: RuntimeHooks;
  partitions: number;
  log: Logger;
  /** How long a request to another partition's owner may take. */
  requestTimeoutMs: number;
  /** How often outbox rows left behind are retried. */
  outboxSweepMs: number;
  /** The longest the timer service sleeps. */
  timerMaxSleepMs: number;
  /** Delivering outbox rows or firing timers failed (retried by their sweeps). */
  onOutboxError(err: unknown): void;
  onTimerError(err: unknown): void;
}

/**
 * The partition runtime of one node, wired once: the actor host (group commit, fences),
 * the mailbox that gets work to a partition's owner, and the durable delivery of what
 * the actors' steps committed (the outbox and the timers), which comes back through the
 * mailbox. The runtime is the only place these four refer to each other.
 */
export class PartitionRuntime {
  readonly host: ActorHost;
  readonly mailbox: PartitionMailbox;
  readonly outbox: OutboxDispatcher;
  readonly timers: TimerService;
  /** Delivers an event to an actor wherever it lives; false when it does not exist. */
  readonly send: SendToActor;
  private passivating: NodeJS.Timeout | undefined;
  private readonly passivateEveryMs: number;

  constructor(options: PartitionRuntimeOptions) {
    const { nc, db, ownership } = options;
    const owned = () => ownership.owned();
    // Events committed by a step go out through the outbox and timers, which deliver through the mailbox to the host.
    const send = (address: ActorAddress, origin?: Origin) => this.mailbox.send(address, origin);
    this.outbox = new OutboxDispatcher(db, nc, send, owned, { sweepIntervalMs: options.outboxSweepMs, onError: (err) => options.onOutboxError(err) });
    this.timers = new TimerService(db, send, owned, { maxSleepMs: options.timerMaxSleepMs, onError: (err) => options.onTimerError(err) });
    const hooks: HostHooks = {
      ...options.hooks,
      outbox: (rows) => this.outbox.dispatch(rows),
      timerArmed: (due) => this.timers.armed(due),
      askBot: (tenant, conversationId, ask) => options.hooks.askBot(tenant, conversationId, ask, send),
    };
    this.host = new ActorHost(db, hooks, ownership, options.kinds, options);
    this.mailbox = new PartitionMailbox({ nc, host: this.host, ownership, partitions: options.partitions, log: options.log, requestTimeoutMs: options.requestTimeoutMs });
    this.send = send;
    // Idle actors go within 1.5 × idleMs at most, without a sweep of the whole cache more often than every second.
    this.passivateEveryMs = Math.max(1_000, Math.floor(options.idleMs / 2));
  }

  /** Starts delivering the outbox and firing timers, and passivating idle actors. */
  start(): void {
    this.outbox.start();
    this.timers.start();
    this.passivating = setInterval(() => this.host.actors.passivate(), this.passivateEveryMs);
    this.passivating.unref();
  }

  /**
   * The node owns the partition now: serve its requests, and look at its timers. Its
   * actors start from the store: whatever this node held of them before is from an
   * earlier epoch (someone else may have written them since).
   */
  gained(partition: number): void {
    this.host.actors.dropPartition(partition);
    this.mailbox.serve(partition);
    this.timers.armed(new Date());
  }

  /** The partition is gone: stop serving it, and forget its actors. */
  lost(partition: number): void {
    this.mailbox.unserve(partition);
    this.host.actors.dropPartition(partition);
  }

  /** Lets the transactions in progress finish, then stops delivering. */
  async stop(partitions: number): Promise<void> {
    clearInterval(this.passivating);
    await this.host.work.drain();
    this.host.actors.clear();
    await this.timers.stop();
    await this.outbox.stop();
    for (let p = 0; p < partitions; p++) this.mailbox.unserve(p);
  }
}
