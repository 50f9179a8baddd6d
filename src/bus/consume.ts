import { setImmediate as nextTurn } from 'node:timers/promises';
import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { SpanStatusCode } from '@opentelemetry/api';
import { ensureDurableConsumer } from './durable-consumer.ts';
import { contextOfHeaders, inMessagingSpan } from './trace-context.ts';

export interface ConsumeLoopOptions {
  stream: string;
  /** Durable consumer name: every router node shares it (work is spread over them). */
  durable: string;
  filterSubject?: string;
  /**
   * Messages held at once: handed to `handle` as they arrive, each acked when its handler
   * resolves. A handler that queues work (the router's group commit) makes this a
   * read-ahead window: the handler's side then sees that many messages at once and can
   * schedule among them, instead of only those at the head of the stream. @default 64
   */
  concurrency?: number;
  /**
   * Messages handed to `handle` in one turn of the event loop at most; then the loop lets
   * the process's I/O in (the database's answers, other subscriptions) before it goes on.
   * A read-ahead window arrives from the server at once: handed over in one go, it would
   * make every round trip of the work it started wait until all of it was taken in — under
   * a burst of 4,000 messages, a third of a second per round trip. @default 32
   */
  perTurn?: number;
  /**
   * Whether the loop should let I/O in now (every `perTurn` messages): while nothing
   * waits on it, a burst is taken in at full speed, so that what it holds (a new customer
   * behind a burst of follow-ups) is seen sooner. @default always
   */
  letIn?: () => boolean;
  /**
   * How long the server waits for an ack before redelivering: also how long the messages
   * a crashed node held wait before another node gets them. @default 10000
   */
  ackWaitMs?: number;
  /** Handles one message. Resolve to ack; the handler decides nak/term itself by returning a verdict. */
  handle(msg: JsMsg): Promise<Verdict>;
  onError?(err: unknown): void;
}

export type Verdict = { ack: true } | { nak: number } | { handled: true };

export interface ConsumeLoop {
  /** Stops taking new messages (those in progress go on). */
  pause(): void;
  /** Stops taking messages and waits for the ones in progress. */
  stop(): Promise<void>;
}

/**
 * A pull-consumer loop that re-creates itself when the consumer or connection goes
 * away, processes up to `concurrency` messages at once, and acknowledges each message
 * only after its handler succeeded.
 */
export async function startConsumeLoop(nc: NatsConnection, options: ConsumeLoopOptions): Promise<ConsumeLoop> {
  const jsm = await jetstreamManager(nc);
  const concurrency = options.concurrency ?? 64;
  const ackWaitMs = options.ackWaitMs ?? 10_000;
  const perTurn = options.perTurn ?? 32;
  const letIn = options.letIn ?? (() => true);
  // Room for every process of the durable to hold its window (four of them in full).
  await ensureDurableConsumer(jsm, { stream: options.stream, durable: options.durable, filterSubject: options.filterSubject, ackWaitMs, maxAckPending: concurrency * 4 });
  const js = jetstream(nc);
  let stopped = false;
  let current: { stop(): void } | undefined;
  const inProgress = new Set<Promise<void>>();

  const process = async (msg: JsMsg) => {
    // Still working on it (waiting for a partition's owner under load, say): the server
    // must not hand it to someone else meanwhile. A crashed process stops saying so.
    const working = setInterval(() => msg.working(), ackWaitMs / 2);
    // The handling continues the publisher's trace (its `traceparent` header), and what
    // is logged about the message carries it.
    const span = { operation: 'process', subject: msg.subject, parent: contextOfHeaders(msg.headers), consumerGroup: options.durable, bodySize: msg.data.length } as const;
    try {
      await inMessagingSpan(span, async (active) => {
        try {
          const verdict = await options.handle(msg);
          if ('ack' in verdict) msg.ack();
          else if ('nak' in verdict) msg.nak(verdict.nak);
        } catch (err) {
          active.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
          options.onError?.(err);
          // Transient failure (database down, …): retry later, backing off with each delivery.
          msg.nak(Math.min(30_000, 500 * 2 ** Math.min(msg.info.deliveryCount, 6)));
        }
      });
    } finally {
      clearInterval(working);
    }
  };

  const run = async () => {
    while (!stopped) {
      try {
        const consumer = await js.consumers.get(options.stream, options.durable);
        const messages = await consumer.consume({ max_messages: concurrency, idle_heartbeat: 5_000, expires: 30_000 });
        current = messages;
        let thisTurn = 0;
        for await (const msg of messages) {
          // Counted across turns too: at worst one turn more than needed every `perTurn` messages.
          if (++thisTurn > perTurn && letIn()) {
            await nextTurn();
            thisTurn = 1;
          }
          const task = process(msg);
          inProgress.add(task);
          void task.finally(() => inProgress.delete(task));
          // Bounded concurrency: wait for a slot before pulling the next message.
          while (inProgress.size >= concurrency) await Promise.race(inProgress);
          if (stopped) break;
        }
      } catch (err) {
        if (stopped) break;
        options.onError?.(err);
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  };
  const loop = run();

  const pause = () => {
    stopped = true;
    current?.stop();
  };
  return {
    pause,
    async stop() {
      pause();
      await loop;
      await Promise.allSettled([...inProgress]);
    },
  };
}
