import { TimeoutError, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { ErrorCodes, ParleyError, encode, subjects, type ErrorCode } from '../contract/index.ts';
import { asParleyError } from '../store/index.ts';
import type { Logger } from '../observability/index.ts';
import { contextOfCarrier, contextOfHeaders, inMessagingSpan, traceCarrier, withTraceHeaders } from '../bus/index.ts';
import { partitionOf } from '../partition/index.ts';
import type { ActorAddress, ActorTarget, Origin } from './actor-kind.ts';
import type { ActorHost } from './host.ts';
import { actorKey } from './actor-cache.ts';
import type { Ownership } from './ownership.ts';

/** One piece of work addressed by key, with the trace context it continues (empty when tracing is off). */
interface ForwardedItem {
  envelope: unknown;
  trace?: Record<string, string>;
}

/**
 * Work for a partition's owner: an event for an actor, or work addressed by key to an
 * actor kind (`KindOpener`; on the wire `inbound`): `items` of one kind at once, or one
 * `envelope` (what routers before batching sent; still answered).
 */
type Request = { kind: 'actor'; target: ActorTarget; origin: Origin } | { kind: 'inbound'; actor: string; items?: ForwardedItem[]; envelope?: unknown };
type Failure = { ok: false; code: ErrorCode; message: string };
type Success = { ok: true; found?: boolean; outcome?: unknown; results?: ItemReply[] };
type ItemReply = { ok: true; outcome?: unknown } | Failure;
type Reply = Success | Failure;

/** Work addressed by key waiting to be forwarded with the rest of its partition's (see `PartitionMailbox.open`). */
interface Waiting {
  item: ForwardedItem;
  resolve: (outcome: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * Forwarded work addressed by key goes to the owner this many items per request at most:
 * the owner answers once all of them committed, so a request stays well within its timeout.
 */
export const FORWARDED_PER_REQUEST = 100;

/** Delivers an event to an actor wherever it lives (see `PartitionMailbox`); false when it does not exist. */
export type SendToActor<A extends ActorAddress = ActorAddress> = (address: A, origin?: Origin) => Promise<boolean>;

export interface PartitionMailboxOptions {
  nc: NatsConnection;
  host: ActorHost;
  ownership: Ownership;
  partitions: number;
  log: Logger;
  /**
   * How long a request to another node may take. A timeout makes the caller retry work
   * the owner may still do, so it is generous; a message waiting meanwhile is kept from
   * redelivery by its consume loop.
   */
  requestTimeoutMs: number;
}

/**
 * Gets work to the node that owns it. An event for an actor, or work addressed by key (a
 * customer message), is handled here when this node owns the partition; otherwise it is a NATS request to
 * `parley.v1.cluster.partition.<n>.<kind>`, which only the owner subscribes to, and the
 * answer comes back once the owner committed. No owner (a partition between two
 * nodes) is a retryable error: the caller's message, outbox row or timer stays where it
 * is and is tried again, so a handover loses nothing.
 */
export class PartitionMailbox {
  private readonly serving = new Map<number, Subscription>();
  private readonly timeout: number;
  /** Work addressed by key for partitions owned elsewhere, by `partition kind`, until the end of this turn of the event loop. */
  private readonly forwarding = new Map<string, { partition: number; kind: string; waiting: Waiting[] }>();
  private flushQueued = false;

  constructor(private readonly options: PartitionMailboxOptions) {
    this.timeout = options.requestTimeoutMs;
  }

  /** Runs an event through an actor wherever it lives; false when the actor does not exist. */
  async send(address: ActorAddress, origin: Origin = {}): Promise<boolean> {
    // An actor active here is in a partition this node owns: its partition is known without asking its kind (which may read the store).
    const partition =
      this.options.host.actors.partitionOf(actorKey(address.kind, address.tenant, address.id)) ??
      (await this.options.host.kind(address.kind).partitionOf(address.tenant, address.id, this.options.partitions));
    if (partition === undefined) return false;
    const target: ActorTarget = { ...address, partition };
    if (this.options.ownership.epochOf(partition) !== undefined) return this.options.host.send(target, origin);
    const reply = await this.request(partition, { kind: 'actor', target, origin });
    return reply.found ?? false;
  }

  /**
   * Runs work addressed by key (a customer message) on the node that owns the key's
   * partition; resolves to its outcome once committed. Work for a partition owned
   * elsewhere is gathered until the end of this turn of the event loop and sent with the
   * rest of that partition's as one request, in the order it came: the owner takes it
   * into its group commit at once (larger transactions), and one request, one reply and
   * one timeout serve many messages. Each item keeps its own outcome, error and trace.
   */
  async open(kind: string, input: unknown): Promise<unknown> {
    const opener = this.options.host.kind(kind).opener;
    if (!opener) throw new Error(`actor kind ${kind} opens nothing by key`);
    const partition = partitionOf(opener.keyOf(input), this.options.partitions);
    if (this.options.ownership.epochOf(partition) !== undefined) return this.options.host.open(kind, partition, input);
    return inMessagingSpan({ operation: 'request', subject: subjects.partition(partition, 'inbound') }, () => this.forward(partition, kind, input));
  }

  private forward(partition: number, kind: string, envelope: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const trace = traceCarrier();
      const item: ForwardedItem = Object.keys(trace).length > 0 ? { envelope, trace } : { envelope };
      const key = `${partition} ${kind}`;
      let batch = this.forwarding.get(key);
      if (!batch) this.forwarding.set(key, (batch = { partition, kind, waiting: [] }));
      batch.waiting.push({ item, resolve, reject });
      if (this.flushQueued) return;
      this.flushQueued = true;
      setImmediate(() => this.flushForwarding());
    });
  }

  /** Sends each partition's gathered work, `FORWARDED_PER_REQUEST` items per request. */
  private flushForwarding(): void {
    this.flushQueued = false;
    const batches = [...this.forwarding.values()];
    this.forwarding.clear();
    for (const { partition, kind, waiting } of batches) {
      for (let from = 0; from < waiting.length; from += FORWARDED_PER_REQUEST) void this.sendBatch(partition, kind, waiting.slice(from, from + FORWARDED_PER_REQUEST));
    }
  }

  private async sendBatch(partition: number, kind: string, waiting: readonly Waiting[]): Promise<void> {
    let results: ItemReply[];
    try {
      // Each item is in its own request span already (see `open`), and carries its trace.
      const reply = await this.exchange(partition, subjects.partition(partition, 'inbound'), { kind: 'inbound', actor: kind, items: waiting.map((w) => w.item) });
      results = reply.results ?? [];
      if (results.length !== waiting.length) throw new ParleyError('unavailable', `partition ${partition} answered ${results.length} of ${waiting.length} items`);
    } catch (err) {
      for (const w of waiting) w.reject(err);
      return;
    }
    waiting.forEach((w, i) => {
      const result = results[i] as ItemReply;
      if (result.ok) w.resolve(result.outcome);
      else w.reject(new ParleyError(result.code in ErrorCodes ? result.code : 'unavailable', result.message));
    });
  }

  /** This node owns the partition now: answer its requests. */
  serve(partition: number): void {
    if (this.serving.has(partition)) return;
    const sub = this.options.nc.subscribe(subjects.partitionRequests(partition), {
      callback: (err, msg) => {
        if (!err) void this.answer(partition, msg);
      },
    });
    this.serving.set(partition, sub);
  }

  /** The partition is being handed over: stop answering (requests in flight finish or fail on the fence). */
  unserve(partition: number): void {
    this.serving.get(partition)?.unsubscribe();
    this.serving.delete(partition);
  }

  private async answer(partition: number, msg: Msg): Promise<void> {
    let request: Request;
    try {
      request = msg.json<Request>();
    } catch (thrown) {
      msg.respond(encode(this.failure(partition, thrown)));
      return;
    }
    if (request.kind === 'inbound' && request.items) {
      // Each item continues its own requester's trace, and is taken into the group commit in the order it came (all of them now).
      const { actor, items } = request;
      const results = await Promise.all(
        items.map((item) =>
          inMessagingSpan({ operation: 'process', subject: msg.subject, parent: contextOfCarrier(item.trace) }, () => this.owned(partition, () => this.options.host.open(actor, partition, item.envelope))).then(
            (outcome): ItemReply => ({ ok: true, outcome }),
            (thrown: unknown) => this.failure(partition, thrown),
          ),
        ),
      );
      msg.respond(encode({ ok: true, results } satisfies Reply));
      return;
    }
    // The owner's work continues the requester's trace.
    const reply = await inMessagingSpan({ operation: 'process', subject: msg.subject, parent: contextOfHeaders(msg.headers), bodySize: msg.data.length }, async (): Promise<Reply> => {
      try {
        if (request.kind === 'actor') return { ok: true, found: await this.owned(partition, () => this.options.host.send(request.target, request.origin)) };
        return { ok: true, outcome: await this.owned(partition, () => this.options.host.open(request.actor, partition, request.envelope)) };
      } catch (thrown) {
        return this.failure(partition, thrown);
      }
    });
    msg.respond(encode(reply));
  }

  /** Runs work for the partition while this node owns it; `notPartitionOwner` otherwise. */
  private owned<T>(partition: number, work: () => Promise<T>): Promise<T> {
    if (this.options.ownership.epochOf(partition) === undefined) return Promise.reject(new ParleyError('notPartitionOwner', `partition ${partition} is not owned here`));
    return work();
  }

  /** An error as the requester gets it: its code, or `unavailable` (retryable) for what is not a Parley error. */
  private failure(partition: number, thrown: unknown): Failure {
    // A value the database refuses must reach the caller as such: it is not retried.
    const err = asParleyError(thrown);
    const code: ErrorCode = err instanceof ParleyError ? err.code : 'unavailable';
    if (!(thrown instanceof ParleyError)) this.options.log.warn('partition request failed', { partition, err: thrown });
    return { ok: false, code, message: err instanceof Error ? err.message : String(err) };
  }

  /** A request in a span of its own, continuing the active trace. */
  private request(partition: number, request: Request): Promise<Success> {
    const subject = subjects.partition(partition, request.kind);
    return inMessagingSpan({ operation: 'request', subject }, () => this.exchange(partition, subject, request, withTraceHeaders()));
  }

  /** Sends a request to the partition's owner and reads its answer; a failed request is a retryable error. */
  private async exchange(partition: number, subject: string, request: Request, headers?: MsgHdrs): Promise<Success> {
    let msg: Msg;
    try {
      msg = await this.options.nc.request(subject, encode(request), { timeout: this.timeout, ...(headers && { headers }) });
    } catch (err) {
      if (err instanceof TimeoutError) throw new ParleyError('timeout', `partition ${partition} did not answer in ${this.timeout} ms`, { cause: err });
      throw new ParleyError('notPartitionOwner', `no node answers for partition ${partition} (being handed over?)`, { cause: err });
    }
    const reply = msg.json<Reply>();
    if (!reply.ok) throw new ParleyError(reply.code in ErrorCodes ? reply.code : 'unavailable', reply.message);
    return reply;
  }
}
