import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ConsumeLoop } from './consume.ts';
import { ensureDurableConsumer } from './durable-consumer.ts';

export interface BatchConsumeLoopOptions {
  stream: string;
  /** Durable consumer name, shared by every process that runs the loop. */
  durable: string;
  filterSubject?: string;
  /** Messages handled in one call at most. @default 500 */
  maxBatch?: number;
  /** How long the server waits for an ack before redelivering. @default 10000 */
  ackWaitMs?: number;
  /**
   * Handles a batch in one go (one statement for all of it, say). Resolving acks every
   * message of the batch; throwing naks them all, to be delivered again after a backoff.
   */
  handle(batch: readonly JsMsg[]): Promise<void>;
  onError?(err: unknown): void;
}

/**
 * A pull-consumer loop like `startConsumeLoop`, but handing over whatever has arrived as
 * one batch: one message alone when traffic is light (no added latency), up to
 * `maxBatch` when messages pile up while the previous batch is handled. One batch is
 * handled at a time per process; the next one collects meanwhile.
 */
export async function startBatchConsumeLoop(nc: NatsConnection, options: BatchConsumeLoopOptions): Promise<ConsumeLoop> {
  const jsm = await jetstreamManager(nc);
  const maxBatch = options.maxBatch ?? 500;
  const ackWaitMs = options.ackWaitMs ?? 10_000;
  // Room for the batch being handled and the next one collecting.
  await ensureDurableConsumer(jsm, { stream: options.stream, durable: options.durable, filterSubject: options.filterSubject, ackWaitMs, maxAckPending: maxBatch * 4 });
  const js = jetstream(nc);
  let stopped = false;
  let current: { stop(): void } | undefined;
  const pending: JsMsg[] = [];
  let handling: Promise<void> | undefined;
  let roomFreed: (() => void) | undefined;

  const handleOne = async (batch: JsMsg[]) => {
    // Still working on them (a slow database under load): the server must not redeliver meanwhile.
    const working = setInterval(() => batch.forEach((m) => m.working()), ackWaitMs / 2);
    try {
      await options.handle(batch);
      for (const m of batch) m.ack();
    } catch (err) {
      options.onError?.(err);
      // Transient failure (database down, …): retry later, backing off with each delivery.
      for (const m of batch) m.nak(Math.min(30_000, 500 * 2 ** Math.min(m.info.deliveryCount, 6)));
    } finally {
      clearInterval(working);
    }
  };

  const drain = async () => {
    while (pending.length > 0) {
      await handleOne(pending.splice(0, maxBatch));
      roomFreed?.();
    }
    handling = undefined;
  };

  const run = async () => {
    while (!stopped) {
      try {
        const consumer = await js.consumers.get(options.stream, options.durable);
        const messages = await consumer.consume({ max_messages: maxBatch * 2, idle_heartbeat: 5_000, expires: 30_000 });
        current = messages;
        for await (const msg of messages) {
          pending.push(msg);
          handling ??= drain();
          // Bounded: with a full batch waiting, stop pulling until the handler takes it.
          while (pending.length >= maxBatch && !stopped) await new Promise<void>((r) => (roomFreed = r));
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
    roomFreed?.();
  };
  return {
    pause,
    async stop() {
      pause();
      await loop;
      await handling;
    },
  };
}
