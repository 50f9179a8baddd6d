import type { Kysely } from 'kysely';
import { context } from '@opentelemetry/api';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Database, OutboxRow } from '../store/index.ts';
import { deleteOutbox, pendingOutbox } from '../store/index.ts';
import type { ActorAddress } from './actor-kind.ts';
import type { SendToActor } from './partition-mailbox.ts';
import { encode } from '../contract/index.ts';
import { contextOfCarrier, inMessagingSpan, withTraceHeaders } from '../bus/index.ts';

export interface OutboxDispatcherOptions {
  /** How often rows left behind are retried, and how old they must be. */
  sweepIntervalMs: number;
  onError?(err: unknown): void;
}

/**
 * Carries committed effects out of the outbox: actor events go to the actor, on this
 * node or on its partition's owner (the actor's own transaction deletes the row), publish rows go to JetStream with their id as
 * `Nats-Msg-Id` and are deleted once JetStream acknowledged them. A sweep retries what
 * a crash or an error left behind. Each row continues the trace of the step that wrote
 * it (stored with the row), however late it goes out.
 */
export class OutboxDispatcher {
  private sweeper: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly perActor = new Map<string, Promise<void>>();
  private sweeping = false;
  private readonly sweepIntervalMs: number;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly nc: NatsConnection,
    private readonly send: SendToActor,
    /** The partitions whose left-behind rows this node retries (those it owns). */
    private readonly partitions: () => number[],
    private readonly options: OutboxDispatcherOptions,
  ) {
    this.sweepIntervalMs = options.sweepIntervalMs;
  }

  start(): void {
    void this.sweep(new Date());
    this.sweeper = setInterval(() => void this.sweep(new Date(Date.now() - this.sweepIntervalMs)), this.sweepIntervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.allSettled([...this.inFlight]);
  }

  dispatch(rows: OutboxRow[]): void {
    const publishes = rows.filter((r) => r.kind === 'publish');
    for (const row of rows) if (row.kind === 'actor') this.deliverInOrder(row);
    if (publishes.length > 0) this.track(this.publish(publishes));
  }

  /**
   * Events for one actor are delivered one after the other, in the order they were
   * committed (a reservation before its acceptance): finding the actor's partition is
   * asynchronous and would otherwise let a later event overtake an earlier one.
   */
  private deliverInOrder(row: OutboxRow): void {
    const key = `${row.target_kind}:${row.tenant}/${row.target_id}`;
    const next = (this.perActor.get(key) ?? Promise.resolve()).then(() => this.deliver(row));
    this.perActor.set(key, next);
    void next.finally(() => this.perActor.get(key) === next && this.perActor.delete(key));
    this.track(next);
  }

  private track(task: Promise<unknown>): void {
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const target = { kind: row.target_kind, tenant: row.tenant, id: row.target_id, event: row.payload } as ActorAddress;
    try {
      await context.with(contextOfCarrier(row.trace_context), () => this.send(target, { outboxId: String(row.id) }));
    } catch (err) {
      this.options.onError?.(err);
    }
  }

  private async publish(rows: OutboxRow[]): Promise<void> {
    const js = jetstream(this.nc);
    const done: string[] = [];
    try {
      const acks = await Promise.allSettled(
        rows.map((r) => {
          const subject = r.subject as string;
          const msgID = r.msg_id ?? String(r.id);
          const data = encode(r.payload);
          const span = { operation: 'publish', subject, msgId: msgID, bodySize: data.length, parent: contextOfCarrier(r.trace_context) } as const;
          return inMessagingSpan(span, () => js.publish(subject, data, { msgID, headers: withTraceHeaders() }));
        }),
      );
      acks.forEach((a, i) => {
        if (a.status === 'fulfilled') done.push(String(rows[i]?.id));
        else this.options.onError?.(a.reason);
      });
      await deleteOutbox(this.db, done);
    } catch (err) {
      this.options.onError?.(err);
    }
  }

  private async sweep(olderThan: Date): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const rows = await pendingOutbox(this.db, olderThan, 500, this.partitions());
      if (rows.length > 0) this.dispatch(rows.map((r) => ({ ...r, id: String(r.id) })));
    } catch (err) {
      this.options.onError?.(err);
    } finally {
      this.sweeping = false;
    }
  }
}
