import { TimeoutError, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { ErrorCodes, ParleyError, encode, subjects, type ErrorCode } from '../contract/index.ts';
import { asParleyError } from '../store/index.ts';
import type { Logger } from '../observability/index.ts';
import { contextOfHeaders, inMessagingSpan, withTraceHeaders } from '../bus/index.ts';
import { partitionOf } from '../partition/index.ts';
import type { ActorAddress, ActorTarget, Origin } from './actor-kind.ts';
import type { ActorHost } from './host.ts';
import { actorKey } from './actor-cache.ts';
import type { Ownership } from './ownership.ts';

/** Work for a partition's owner: an event for an actor, or work addressed by key to an actor kind (`KindOpener`; on the wire `inbound`). */
type Request = { kind: 'actor'; target: ActorTarget; origin: Origin } | { kind: 'inbound'; actor: string; envelope: unknown };
type Reply = { ok: true; found?: boolean; outcome?: unknown } | { ok: false; code: ErrorCode; message: string };

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

  /** Runs work addressed by key (a customer message) on the node that owns the key's partition; resolves to its outcome once committed. */
  async open(kind: string, input: unknown): Promise<unknown> {
    const opener = this.options.host.kind(kind).opener;
    if (!opener) throw new Error(`actor kind ${kind} opens nothing by key`);
    const partition = partitionOf(opener.keyOf(input), this.options.partitions);
    if (this.options.ownership.epochOf(partition) !== undefined) return this.options.host.open(kind, partition, input);
    const reply = await this.request(partition, { kind: 'inbound', actor: kind, envelope: input });
    return reply.outcome;
  }

  /** This node owns the partition now: answer its requests. */
  serve(partition: number): void {
    if (this.serving.has(partition)) return;
    const sub = this.options.nc.subscribe(subjects.partitionRequests(partition), {
      callback: (err, msg) => {
        // The owner's work continues the requester's trace.
        if (!err) void inMessagingSpan({ operation: 'process', subject: msg.subject, parent: contextOfHeaders(msg.headers), bodySize: msg.data.length }, () => this.answer(partition, msg));
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
    let reply: Reply;
    try {
      const request = msg.json<Request>();
      if (this.options.ownership.epochOf(partition) === undefined) throw new ParleyError('notPartitionOwner', `partition ${partition} is not owned here`);
      if (request.kind === 'actor') reply = { ok: true, found: await this.options.host.send(request.target, request.origin) };
      else reply = { ok: true, outcome: await this.options.host.open(request.actor, partition, request.envelope) };
    } catch (thrown) {
      // A value the database refuses must reach the caller as such: it is not retried.
      const err = asParleyError(thrown);
      const code: ErrorCode = err instanceof ParleyError ? err.code : 'unavailable';
      reply = { ok: false, code, message: err instanceof Error ? err.message : String(err) };
      if (!(thrown instanceof ParleyError)) this.options.log.warn('partition request failed', { partition, err: thrown });
    }
    msg.respond(encode(reply));
  }

  private async request(partition: number, request: Request): Promise<Extract<Reply, { ok: true }>> {
    let msg: Msg;
    const subject = subjects.partition(partition, request.kind);
    try {
      msg = await inMessagingSpan({ operation: 'request', subject }, () =>
        this.options.nc.request(subject, encode(request), { timeout: this.timeout, headers: withTraceHeaders() }),
      );
    } catch (err) {
      if (err instanceof TimeoutError) throw new ParleyError('timeout', `partition ${partition} did not answer in ${this.timeout} ms`, { cause: err });
      throw new ParleyError('notPartitionOwner', `no node answers for partition ${partition} (being handed over?)`, { cause: err });
    }
    const reply = msg.json<Reply>();
    if (!reply.ok) throw new ParleyError(reply.code in ErrorCodes ? reply.code : 'unavailable', reply.message);
    return reply;
  }
}
