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
  it('hands a burst it holds over perTurn messages per turn of the event loop, letting I/O in between', async () => {
    const js = jetstream(nc);
    const subject = subjects.receipts('t1', 'per-turn');
    // Published before the loop starts: the server delivers them together, in one or two reads.
    await Promise.all(Array.from({ length: 100 }, (_, n) => js.publish(subject, JSON.stringify({ n }))));
    const handled: number[] = [];
    /** How many messages had been handed over when a callback queued at the first one ran. */
    let handledWhenLetIn: number | undefined;
    loops.push(
      await startConsumeLoop(nc, {
        stream: streams.inbound.name,
        durable: 'test-per-turn',
        filterSubject: subject,
        concurrency: 200,
        perTurn: 10,
        handle(msg) {
          handled.push(msg.json<{ n: number }>().n);
          if (handled.length === 1) setImmediate(() => (handledWhenLetIn = handled.length));
          return Promise.resolve({ ack: true });
        },
      }),
    );
    await waitFor(() => (handled.length === 100 ? true : undefined));
    expect(handled).toEqual(Array.from({ length: 100 }, (_, n) => n));
    expect(handledWhenLetIn).toBeLessThanOrEqual(10);
  });
});
