import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, ensureStreams, startConsumeLoop, type ConsumeLoop } from '../../src/bus/index.ts';
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

describe('startConsumeLoop', () => {
  /** Publishes 100 messages (before the loop starts: the server delivers them together), consumes them, and tells how many had been handed over when a callback queued at the first one ran. */
  const burst = async (name: string, options: { perTurn: number; letIn?: () => boolean }) => {
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
        ...options,
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
    expect(await burst('per-turn', { perTurn: 10 })).toBeLessThanOrEqual(10);
  });

  it('takes a burst in at full speed while letIn says nothing waits on I/O', async () => {
    // Not let in after 10 (the server's delivery may still come in more than one read).
    expect(await burst('full-speed', { perTurn: 10, letIn: () => false })).toBeGreaterThan(10);
  });
});
