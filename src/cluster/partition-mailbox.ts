import type { Kysely } from 'kysely';
import { TimeoutError, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { ErrorCodes, ParleyError, encode, externalIdOf, subjects, type ErrorCode, type InboundMessage } from '../contract/index.ts';
import type { Database } from '../store/index.ts';
import { asParleyError, conversationPartition } from '../store/index.ts';
import type { ActorAddress, ActorHost, ActorTarget, Origin } from '../actor/index.ts';
import type { Logger } from '../observability/index.ts';
import { contextOfHeaders, inMessagingSpan, withTraceHeaders } from '../bus/index.ts';
import { agentPartitionKey, conversationPartitionKey, partitionOf } from './partition.ts';
import type { Ownership } from './ownership.ts';

type Request = { kind: 'actor'; target: ActorTarget; origin: Origin } | { kind: 'inbound'; envelope: InboundMessage };
type Reply = { ok: true; found?: boolean; outcome?: 'stored' | 'duplicate' } | { ok: false; code: ErrorCode; message: string };

export interface PartitionMailboxOptions {
  nc: NatsConnection;
  db: Kysely<Database>;
  host: ActorHost;
  ownership: Ownership;
  partitions: number;
  /** Takes a customer message on a partition this node owns (the group-commit batcher). */
  receive(partition: number, envelope: InboundMessage): Promise<'stored' | 'duplicate'>;
  log: Logger;
  /**
   * How long a request to another node may take. A timeout makes the caller retry work
   * the owner may still do, so it is generous; a message waiting meanwhile is kept from
   * redelivery by its consume loop. @default 15000
   */
  requestTimeoutMs?: number;
}

/** Conversations' partitions, remembered (they never change for a given partition count). */
const REMEMBERED_CONVERSATIONS = 100_000;

/**
 * Gets work to the node that owns it. An event for an actor, or a customer message, is
 * handled here when this node owns the partition; otherwise it is a NATS request to
 * `parley.v1.cluster.partition.<n>.<kind>`, which only the owner subscribes to, and the
 * answer comes back once the owner committed. No owner (a partition between two
 * nodes) is a retryable error: the caller's message, outbox row or timer stays where it
 * is and is tried again, so a handover loses nothing.
 */
export class PartitionMailbox {
  private readonly serving = new Map<number, Subscription>();
  private readonly conversationPartitions = new Map<string, number>();
  private readonly timeout: number;

  constructor(private readonly options: PartitionMailboxOptions) {
    this.timeout = options.requestTimeoutMs ?? 15_000;
  }

  /** The partition of an actor; undefined for a conversation that does not exist. */
  async partitionOf(address: Pick<ActorAddress, 'kind' | 'tenant' | 'id'>): Promise<number | undefined> {
    if (address.kind === 'agent') return partitionOf(agentPartitionKey(address.tenant, address.id), this.options.partitions);
    const known = this.conversationPartitions.get(address.id);
    if (known !== undefined) return known;
    const partition = await conversationPartition(this.options.db, address.id);
    if (partition !== undefined) this.remember(address.id, partition);
    return partition;
  }

  /** Runs an event through an actor wherever it lives; false when the actor does not exist. */
  async send(address: ActorAddress, origin: Origin = {}): Promise<boolean> {
    const partition = await this.partitionOf(address);
    if (partition === undefined) return false;
    const target: ActorTarget = { ...address, partition };
    if (this.options.ownership.epochOf(partition) !== undefined) return this.options.host.send(target, origin);
    const reply = await this.request(partition, { kind: 'actor', target, origin });
    return reply.found ?? false;
  }

  /** Takes a customer message on the node that owns its conversation key. */
  async receive(envelope: InboundMessage): Promise<'stored' | 'duplicate'> {
    const key = conversationPartitionKey(envelope.tenant, envelope.channel, externalIdOf(envelope.from));
    const partition = partitionOf(key, this.options.partitions);
    if (this.options.ownership.epochOf(partition) !== undefined) return this.options.receive(partition, envelope);
    const reply = await this.request(partition, { kind: 'inbound', envelope });
    return reply.outcome ?? 'stored';
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
      if (request.kind === 'actor') {
        if (request.target.kind === 'conversation') this.remember(request.target.id, request.target.partition);
        reply = { ok: true, found: await this.options.host.send(request.target, request.origin) };
      } else {
        reply = { ok: true, outcome: await this.options.receive(partition, request.envelope) };
      }
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

  private remember(conversationId: string, partition: number): void {
    if (this.conversationPartitions.size >= REMEMBERED_CONVERSATIONS) this.conversationPartitions.clear();
    this.conversationPartitions.set(conversationId, partition);
  }
}
