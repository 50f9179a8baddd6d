import { z } from 'zod';
import { RequestError, TimeoutError, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { ErrorCodes, ParleyError, encode, subjects, type ErrorCode } from '../contract/index.ts';
import { asParleyError } from '../store/index.ts';
import type { Logger } from '../observability/index.ts';
import { contextOfCarrier, contextOfHeaders, inMessagingSpan, traceCarrier } from '../bus/index.ts';
import { partitionOf } from '../partition/index.ts';
import type { ActorAddress, ActorTarget, Origin } from './actor-kind.ts';
import type { ActorHost } from './host.ts';
import { actorKey } from './actor-cache.ts';
import type { Ownership } from './ownership.ts';

/** Work for a partition's owner: an event for an actor, or work addressed by key to an actor kind (`KindOpener`; on the wire `inbound`). */
type Work = { kind: 'actor'; target: ActorTarget; origin: Origin } | { kind: 'inbound'; actor: string; envelope: unknown };
/** A piece of work as forwarded, with the trace context it continues (none when tracing is off). */
type Item = Work & { trace?: Record<string, string> };
/** A request: work of one kind for one partition, in the order it came; a single `Work` is what routers before batching sent (still answered). */
type Request = { items: Item[] } | Work;
type Failure = { ok: false; code: ErrorCode; message: string };
/** The answer to one piece of work: whether the actor exists (an event), or the outcome (work by key). */
type Done = { ok: true; found?: boolean; outcome?: unknown };
type Result = Done | Failure;
type Reply = { ok: true; results: Result[] } | Result;

/**
 * A request as routers send it. The subject is internal, but anyone on the bus can publish
 * to it: what is not this shape is answered `invalidEnvelope`. Each event and customer
 * message is then checked by its actor kind.
 */
const workShape = z.discriminatedUnion('kind', [
  z.looseObject({
    kind: z.literal('actor'),
    target: z.looseObject({ kind: z.string(), tenant: z.string(), id: z.string(), partition: z.int(), event: z.looseObject({ type: z.string() }) }),
    origin: z.object({ outboxId: z.string().optional(), timerId: z.string().optional() }),
  }),
  z.looseObject({ kind: z.literal('inbound'), actor: z.string(), envelope: z.unknown() }),
]);
const requestShape = z.union([z.object({ items: z.array(workShape) }), workShape]);

function requestOf(body: unknown): Request {
  const parsed = requestShape.safeParse(body);
  if (!parsed.success) throw new ParleyError('invalidEnvelope', `not a partition request: ${z.prettifyError(parsed.error)}`);
  // The shape is checked; the body itself is kept, so an event keeps every field its actor reads.
  return body as Request;
}

/** Work waiting to be forwarded with the rest of its partition's (see `PartitionMailbox`): the item as JSON, and its size. */
interface Waiting {
  json: string;
  bytes: number;
  resolve: (done: Done) => void;
  reject: (err: unknown) => void;
}

/**
 * Forwarded work goes to the owner this many items per request at most: the owner answers
 * once all of them committed, so a request stays well within its timeout.
 */
export const FORWARDED_PER_REQUEST = 100;
/**
 * A request nobody answers is sent again after these pauses (ms) before it fails: while a
 * partition changes hands, the new lease shows before its owner's subscription reaches the
 * server (a few ms), and work sent in between would fail for nothing. A partition whose
 * owner died answers no better a moment later: its work fails after them, retryable.
 */
export const NO_RESPONDER_RETRIES_MS = [10, 40, 100] as const;
/** A request stays this far below the server's largest message (`max_payload`): room for its headers and framing. */
const PAYLOAD_MARGIN = 64 * 1024;

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
 * customer message), is handled here when this node owns the partition; otherwise it goes
 * in a NATS request to `parley.v1.cluster.partition.<n>.<kind>`, which only the owner
 * subscribes to, and the answer comes back once the owner committed. The work for one
 * partition taken in the same turn of the event loop goes in one request, in the order
 * it came: the owner takes it into its group commit at once (so it shares transactions),
 * and one request, one reply and one timeout serve it all. Each piece keeps its own
 * answer, error and trace. No owner (a partition between two nodes) is a retryable
 * error: the caller's message, outbox row or timer stays where it is and is tried again,
 * so a handover loses nothing.
 */
export class PartitionMailbox {
  private readonly serving = new Map<number, Subscription>();
  private readonly timeout: number;
  /** Work for partitions owned elsewhere, by subject, until the end of this turn of the event loop. */
  private readonly forwarding = new Map<string, { partition: number; waiting: Waiting[] }>();
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
    return (await this.forward(partition, { kind: 'actor', target, origin })).found ?? false;
  }

  /** Runs work addressed by key (a customer message) on the node that owns the key's partition; resolves to its outcome once committed. */
  async open(kind: string, input: unknown): Promise<unknown> {
    const opener = this.options.host.kind(kind).opener;
    if (!opener) throw new Error(`actor kind ${kind} opens nothing by key`);
    const partition = partitionOf(opener.keyOf(input), this.options.partitions);
    if (this.options.ownership.epochOf(partition) !== undefined) return this.options.host.open(kind, partition, input);
    return (await this.forward(partition, { kind: 'inbound', actor: kind, envelope: input })).outcome;
  }

  /** Queues the work for its partition's next request, in a request span of its own whose trace the work carries. */
  private forward(partition: number, work: Work): Promise<Done> {
    const subject = subjects.partition(partition, work.kind);
    return inMessagingSpan(
      { operation: 'request', subject },
      () =>
        new Promise<Done>((resolve, reject) => {
          const trace = traceCarrier();
          const json = JSON.stringify((Object.keys(trace).length > 0 ? { ...work, trace } : work) satisfies Item);
          let batch = this.forwarding.get(subject);
          if (!batch) this.forwarding.set(subject, (batch = { partition, waiting: [] }));
          batch.waiting.push({ json, bytes: Buffer.byteLength(json), resolve, reject });
          if (this.flushQueued) return;
          this.flushQueued = true;
          setImmediate(() => this.flushForwarding());
        }),
    );
  }

  /**
   * Sends each partition's gathered work, in order: `FORWARDED_PER_REQUEST` items per
   * request at most, and no more bytes than the server takes in one message (a customer
   * message may be close to that alone: it goes alone).
   */
  private flushForwarding(): void {
    this.flushQueued = false;
    const batches = [...this.forwarding];
    this.forwarding.clear();
    const budget = (this.options.nc.info?.max_payload ?? 1024 * 1024) - PAYLOAD_MARGIN;
    for (const [subject, { partition, waiting }] of batches) {
      let request: Waiting[] = [];
      let bytes = 0;
      for (const w of waiting) {
        if (request.length > 0 && (request.length === FORWARDED_PER_REQUEST || bytes + w.bytes > budget)) {
          void this.request(partition, subject, request);
          request = [];
          bytes = 0;
        }
        request.push(w);
        bytes += w.bytes + 1;
      }
      if (request.length > 0) void this.request(partition, subject, request);
    }
  }

  /** One request for these items; each settles with its own answer, and all fail with a retryable error if the request does. */
  private async request(partition: number, subject: string, waiting: readonly Waiting[]): Promise<void> {
    let results: Result[];
    try {
      let msg: Msg;
      try {
        // The items were made JSON one by one when they came (`forward`): the request is their list.
        msg = await this.requestAnswered(subject, `{"items":[${waiting.map((w) => w.json).join(',')}]}`);
      } catch (err) {
        if (err instanceof TimeoutError) throw new ParleyError('timeout', `partition ${partition} did not answer in ${this.timeout} ms`, { cause: err });
        throw new ParleyError('notPartitionOwner', `no node answers for partition ${partition} (being handed over?)`, { cause: err });
      }
      const reply = msg.json<Reply>();
      if (!reply.ok) throw new ParleyError(reply.code in ErrorCodes ? reply.code : 'unavailable', reply.message);
      results = 'results' in reply ? reply.results : [];
      if (results.length !== waiting.length) throw new ParleyError('unavailable', `partition ${partition} answered ${results.length} of ${waiting.length} items`);
    } catch (err) {
      for (const w of waiting) w.reject(err);
      return;
    }
    waiting.forEach((w, i) => {
      const result = results[i] as Result;
      if (result.ok) w.resolve(result);
      else w.reject(new ParleyError(result.code in ErrorCodes ? result.code : 'unavailable', result.message));
    });
  }

  /** The request, sent again after each of `NO_RESPONDER_RETRIES_MS` while nobody is subscribed (nothing was received: nothing is done twice). */
  private async requestAnswered(subject: string, body: string): Promise<Msg> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.options.nc.request(subject, body, { timeout: this.timeout });
      } catch (err) {
        const pause = NO_RESPONDER_RETRIES_MS[attempt];
        if (pause === undefined || !(err instanceof RequestError) || !err.isNoResponders()) throw err;
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  /** This node owns the partition now: answer its requests. */
  serve(partition: number): void {
    if (this.serving.has(partition)) return;
    const sub = this.options.nc.subscribe(subjects.partitionRequests(partition), {
      callback: (err, msg) => {
        // A throw here would be an unhandled rejection, which ends the process: whatever escapes is answered as a failure.
        if (!err) this.answer(partition, msg).catch((thrown: unknown) => msg.respond(encode(this.failure(partition, thrown))));
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
      request = requestOf(msg.json<unknown>());
    } catch (thrown) {
      msg.respond(encode(this.failure(partition, thrown)));
      return;
    }
    if (!('items' in request)) {
      // A single piece of work, continuing the trace of the request's headers.
      const parent = contextOfHeaders(msg.headers);
      msg.respond(encode(await inMessagingSpan({ operation: 'process', subject: msg.subject, parent, bodySize: msg.data.length }, () => this.run(partition, request))));
      return;
    }
    // Each item continues its own requester's trace, and all are taken into the group commit now, in the order they came.
    const results = await Promise.all(
      request.items.map((item) => inMessagingSpan({ operation: 'process', subject: msg.subject, parent: contextOfCarrier(item.trace) }, () => this.run(partition, item))),
    );
    msg.respond(encode({ ok: true, results } satisfies Reply));
  }

  /** Runs one piece of work while this node owns its partition; its answer, or its error as the requester gets it. */
  private async run(partition: number, work: Work): Promise<Result> {
    try {
      if (this.options.ownership.epochOf(partition) === undefined) throw new ParleyError('notPartitionOwner', `partition ${partition} is not owned here`);
      if (work.kind === 'actor') return { ok: true, found: await this.options.host.send(work.target, work.origin) };
      return { ok: true, outcome: await this.options.host.open(work.actor, partition, work.envelope) };
    } catch (thrown) {
      return this.failure(partition, thrown);
    }
  }

  /** An error as the requester gets it: its code, or `unavailable` (retryable) for what is not a Parley error. */
  private failure(partition: number, thrown: unknown): Failure {
    // A value the database refuses must reach the caller as such: it is not retried.
    const err = asParleyError(thrown);
    const code: ErrorCode = err instanceof ParleyError ? err.code : 'unavailable';
    if (!(thrown instanceof ParleyError)) this.options.log.warn('partition request failed', { partition, err: thrown });
    return { ok: false, code, message: err instanceof Error ? err.message : String(err) };
  }
}
