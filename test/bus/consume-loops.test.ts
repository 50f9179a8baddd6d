import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, ensureStreams, startBatchConsumeLoop, startConsumeLoop, type ConsumeLoop } from '../../src/bus/index.ts';
import { streams, subjects } from '../../src/contract/index.ts';
import { startTestServices, type TestServices } from '../support/services.ts';
import { waitFor } from '../support/wait-for.ts';

let services: TestServices;
let nc: NatsConnection;
const loops: ConsumeLoop[] = [];

beforeAll(async () => {
  services = await startTestServices();
  nc = await connectBus({ url: services.natsUrl });
  await ensureStreams(nc);
});

afterAll(async () => {
  for (const loop of loops) await loop.stop();
  await nc?.drain();
  await services?.stop();
});

async function publish(channel: string, count: number): Promise<void> {
  const js = jetstream(nc);
  await Promise.all(Array.from({ length: count }, (_, i) => js.publish(subjects.receipts('t1', channel), JSON.stringify({ n: i }))));
}

describe('startBatchConsumeLoop', () => {
  it('hands over what piled up while the previous batch was handled, bounded by maxBatch, and acknowledges every message once', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const firstHeld = new Promise<void>((r) => (release = r));
    let sawFirst!: () => void;
    const firstSeen = new Promise<void>((r) => (sawFirst = r));
    loops.push(
      await startBatchConsumeLoop(nc, {
        stream: streams.inbound.name,
        durable: 'test-batches',
        filterSubject: subjects.receipts('t1', 'batched'),
        maxBatch: 40,
        async handle(batch: readonly JsMsg[]) {
          batches.push(batch.map((m) => m.json<{ n: number }>().n));
          if (batches.length === 1) {
            sawFirst();
            await firstHeld;
          }
        },
      }),
    );
    await publish('batched', 1);
    await firstSeen;
    await publish('batched', 99);
    // The server has handed the client a full batch (and more) while the first is held.
    const jsm = await jetstreamManager(nc);
    await waitFor(async () => ((await jsm.consumers.info(streams.inbound.name, 'test-batches')).num_ack_pending > 40 ? true : undefined));
    release();
    await waitFor(() => (batches.flat().length >= 100 ? true : undefined));
    expect(batches[0]).toEqual([0]);
    expect(batches.slice(1).some((b) => b.length > 1)).toBe(true);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(40);
    expect(batches.flat().sort((a, b) => a - b)).toEqual([0, ...Array.from({ length: 99 }, (_, i) => i)].sort((a, b) => a - b));
    await waitFor(async () => ((await jsm.consumers.info(streams.inbound.name, 'test-batches')).num_ack_pending === 0 ? true : undefined));
  });

  it('a batch whose handler fails is delivered again, whole', async () => {
    let calls = 0;
    const delivered: number[] = [];
    loops.push(
      await startBatchConsumeLoop(nc, {
        stream: streams.inbound.name,
        durable: 'test-batches-retry',
        filterSubject: subjects.receipts('t1', 'retried'),
        handle(batch) {
          calls += 1;
          if (calls === 1) return Promise.reject(new Error('database down'));
          delivered.push(...batch.map((m) => m.json<{ n: number }>().n));
          return Promise.resolve();
        },
      }),
    );
    await publish('retried', 1);
    await waitFor(() => (delivered.length === 1 ? true : undefined), { timeoutMs: 10_000 });
    expect(calls).toBe(2);
    expect(delivered).toEqual([0]);
  });
});

describe('startConsumeLoop', () => {
  /** Publishes 100 messages (before the loop starts: the server delivers them together), consumes them, and tells how many had been handed over when a callback queued at the first one ran. */
  const burst = async (name: string, perTurn: number, letIn?: (handledSoFar: number) => boolean) => {
    const js = jetstream(nc);
    const subject = subjects.receipts('t1', name);
    await Promise.all(Array.from({ length: 100 }, (_, n) => js.publish(subject, JSON.stringify({ n }))));
    const handled: number[] = [];
    let handledWhenLetIn: number | undefined;
    loops.push(
      await startConsumeLoop(nc, {
        stream: streams.inbound.name,
        durable: `test-${name}`,
        filterSubject: subject,
        concurrency: 200,
        perTurn,
        ...(letIn && { letIn: () => letIn(handled.length) }),
        handle(msg) {
          handled.push(msg.json<{ n: number }>().n);
          if (handled.length === 1) setImmediate(() => (handledWhenLetIn = handled.length));
          return Promise.resolve({ ack: true });
        },
      }),
    );
    await waitFor(() => (handled.length === 100 ? true : undefined));
    expect(handled).toEqual(Array.from({ length: 100 }, (_, n) => n));
    return handledWhenLetIn;
  };

  it('hands a burst it holds over perTurn messages per turn of the event loop, letting I/O in between', async () => {
    expect(await burst('per-turn', 10)).toBeLessThanOrEqual(10);
  });

  it('asks letIn once perTurn messages were handed over, and at each next one until it says yes', async () => {
    const asked: number[] = [];
    await burst('let-in', 10, (handledSoFar) => {
      asked.push(handledSoFar);
      return handledSoFar >= 15;
    });
    // No at 10 to 14: the loop goes on at once; yes at 15: a turn, and ten more before it asks again.
    expect(asked.slice(0, 8)).toEqual([10, 11, 12, 13, 14, 15, 25, 35]);
  });
});
