import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelDb, reserveSend } from '../../src/channel-service/index.ts';
import { migrateToLatest, openStore, type Store } from '../../src/store/index.ts';
import { startTestServices, type TestServices } from '../support/services.ts';

let services: TestServices;
let first: Store;
let second: Store;
beforeAll(async () => {
  services = await startTestServices();
  first = await openStore({ url: services.databaseUrl });
  await migrateToLatest(first.db);
  // A second pool plays a second channels process.
  second = await openStore({ url: services.databaseUrl });
});
afterAll(async () => {
  await first?.close();
  await second?.close();
  await services?.stop();
});

describe('the shared pace (a GCRA token bucket in PostgreSQL)', () => {
  it('lets a burst go at once, then spaces sends at the rate', async () => {
    const at = new Date('2026-12-05T10:00:00Z');
    const waits = [];
    for (let i = 0; i < 5; i += 1) waits.push(await reserveSend(channelDb(first.db), 'test:burst', { perSecond: 10, burst: 3 }, 1, at));
    expect(waits.map(Math.round)).toEqual([0, 0, 0, 100, 200]);
  });

  it('spaces the sends of two processes on one number as one sequence, none closer than the rate allows', async () => {
    const at = new Date('2026-12-05T11:00:00Z');
    const rate = { perSecond: 50, burst: 1 };
    const takes = await Promise.all(Array.from({ length: 40 }, (_, i) => reserveSend(channelDb((i % 2 === 0 ? first : second).db), 'test:shared', rate, 1, at)));
    expect(takes.map(Math.round).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i * 20));
  });

  it('charges an SMS its segments', async () => {
    const at = new Date('2026-12-05T12:00:00Z');
    const db = channelDb(first.db);
    expect(await reserveSend(db, 'test:segments', { perSecond: 1, burst: 1 }, 3, at)).toBe(0);
    expect(Math.round(await reserveSend(db, 'test:segments', { perSecond: 1, burst: 1 }, 1, at))).toBe(3000);
  });

  it('recovers after a quiet period: waits are counted from the later of the bucket and now', async () => {
    const db = channelDb(first.db);
    const rate = { perSecond: 10, burst: 1 };
    await reserveSend(db, 'test:quiet', rate, 1, new Date('2026-12-05T13:00:00Z'));
    expect(await reserveSend(db, 'test:quiet', rate, 1, new Date('2026-12-05T13:00:05Z'))).toBe(0);
  });
});
