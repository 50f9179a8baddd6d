import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { encode, subjects } from '../../src/contract/index.ts';
import type { AgentEvent, OfferCreatedEvent } from '../../src/contract/index.ts';
import { EventTimeoutError, ParleyClient } from '../../src/gateway/index.ts';
import { waitFor } from '../support/services.ts';
import { OTHER_TENANT, TENANT, startFixture } from './fixture.ts';
import type { GatewayFixture } from './fixture.ts';

function offerCreated(tenant: string, agentId: string): OfferCreatedEvent {
  return {
    version: 1,
    type: 'offer.created',
    tenant,
    agentId,
    at: new Date().toISOString(),
    offerId: randomUUID(),
    conversationId: randomUUID(),
    channel: 'web-chat',
    channelType: 'web',
    mediaType: 'webchat',
    customerId: randomUUID(),
    expiresAt: new Date(Date.now() + 30_000).toISOString(),
  };
}

function isOffer(event: AgentEvent): event is OfferCreatedEvent {
  return event.type === 'offer.created';
}

describe('gateway agent event stream', () => {
  let fx: GatewayFixture;

  beforeAll(async () => {
    fx = await startFixture();
  });

  afterAll(async () => {
    await fx?.stop();
  });

  async function openSockets(): Promise<number | undefined> {
    const metric = await fx.registry.getSingleMetric('parley_gateway_event_sockets')?.get();
    return metric?.values[0]?.value;
  }

  it('forwards an event published on the agent events subject', async () => {
    const stream = fx.client('alice', 'agent').events('alice');
    try {
      await stream.opened;
      const event = offerCreated(TENANT, 'alice');
      fx.nc.publish(subjects.agentEvents(TENANT, 'alice'), encode(event));
      const received = await stream.next(isOffer, 5_000);
      expect(received).toEqual(event);
    } finally {
      await stream.close();
    }
  });

  it('buffers events that arrive before next() and hands each out once', async () => {
    const stream = fx.client('sam', 'supervisor').events('bob');
    try {
      await stream.opened;
      const subject = subjects.agentEvents(TENANT, 'bob');
      const first = offerCreated(TENANT, 'bob');
      const second: AgentEvent = { version: 1, type: 'conversation.ended', tenant: TENANT, agentId: 'bob', at: new Date().toISOString(), conversationId: randomUUID(), reason: 'closed-by-agent' };
      fx.nc.publish(subject, encode(first));
      fx.nc.publish(subject, encode(second));
      // Both arrived before anyone asked: the later one is picked first, the earlier one stays.
      expect(await stream.next((e) => e.type === 'conversation.ended', 5_000)).toEqual(second);
      expect(await stream.next(isOffer, 5_000)).toEqual(first);
      await expect(stream.next(isOffer, 50)).rejects.toBeInstanceOf(EventTimeoutError);
    } finally {
      await stream.close();
    }
  });

  it('is an async iterable of events', async () => {
    const stream = fx.client('carol', 'agent').events('carol');
    await stream.opened;
    const events = [offerCreated(TENANT, 'carol'), offerCreated(TENANT, 'carol')];
    for (const event of events) fx.nc.publish(subjects.agentEvents(TENANT, 'carol'), encode(event));
    const seen: AgentEvent[] = [];
    for await (const event of stream) {
      seen.push(event);
      if (seen.length === events.length) break; // leaving the loop closes the stream
    }
    expect(seen).toEqual(events);
  });

  it('only forwards the token tenant’s events', async () => {
    const stream = fx.client('dave', 'agent').events('dave');
    try {
      await stream.opened;
      fx.nc.publish(subjects.agentEvents(OTHER_TENANT, 'dave'), encode(offerCreated(OTHER_TENANT, 'dave')));
      const own = offerCreated(TENANT, 'dave');
      fx.nc.publish(subjects.agentEvents(TENANT, 'dave'), encode(own));
      // NATS keeps order per publisher: had the other tenant's event been forwarded, it would come first.
      expect(await stream.next(undefined, 5_000)).toEqual(own);
    } finally {
      await stream.close();
    }
  });

  it('accepts the token as ?access_token= (browsers cannot set headers) and unsubscribes on close', async () => {
    const url = `${fx.gateway.url.replace('http', 'ws')}/v1/agents/erin/events?access_token=${fx.token('erin', 'agent')}`;
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const frame = new Promise<{ text: string; isBinary: boolean }>((resolve) =>
      ws.once('message', (data: Buffer, isBinary) => resolve({ text: data.toString('utf8'), isBinary })),
    );
    const event = offerCreated(TENANT, 'erin');
    fx.nc.publish(subjects.agentEvents(TENANT, 'erin'), encode(event));
    const { text, isBinary } = await frame;
    expect(isBinary).toBe(false);
    expect(JSON.parse(text)).toEqual(event);

    expect(await openSockets()).toBeGreaterThanOrEqual(1);
    ws.close();
    await waitFor(async () => ((await openSockets()) === 0 ? true : undefined), { what: 'the gateway to drop the socket' });
  });

  it('closes open streams with 1001 when the gateway closes', async () => {
    const closing = await fx.startGateway();
    const stream = new ParleyClient({ baseUrl: closing.url, token: fx.token('hana', 'agent') }).events('hana');
    await stream.opened;
    // Caught right away: it rejects while close() is still being awaited.
    const waiting = stream.next(isOffer, 10_000).catch((err: unknown) => err);
    await closing.close();
    expect(await waiting).toMatchObject({ name: 'EventStreamClosedError', closeCode: 1001 });
    await stream.close();
  });
});
