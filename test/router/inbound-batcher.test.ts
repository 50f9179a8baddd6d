import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServices, type TestServices } from '../support/services.ts';
import { quietHooks } from '../support/quiet-hooks.ts';
import { configFolder } from '../support/config-folder.ts';
import { ActorHost } from '../../src/actor/index.ts';
import { ConfigRegistry, loadConfigFolder } from '../../src/config/index.ts';
import type { InboundMessage, ParleyError } from '../../src/contract/index.ts';
import { InboundBatcher } from '../../src/router/inbound-batcher.ts';
import { claimEpoch, migrateToLatest, openStore, type Store } from '../../src/store/index.ts';

const tenant = 'acme';

/** Group commit of customer messages (real PostgreSQL): what shares a transaction, and what fails alone. */
describe('inbound batcher', () => {
  let services: TestServices;
  let store: Store;
  let host: ActorHost;
  const config = new ConfigRegistry();

  beforeAll(async () => {
    services = await startTestServices();
    store = await openStore({ url: services.databaseUrl });
    await migrateToLatest(store.db);
    for (const p of [1, 2]) await claimEpoch(store.db, p, 1, 'router-a');
    const folder = await configFolder(tenant);
    config.apply(await loadConfigFolder(folder.dir));
    await folder.remove();
    host = new ActorHost(store.db, quietHooks, { epochOf: () => 1 });
  });

  afterAll(async () => {
    await store?.close();
    await services?.stop();
  });

  const message = (customer: string, channel = 'whatsapp'): InboundMessage => ({
    version: 1,
    tenant,
    channel,
    messageId: `wamid.${randomUUID()}`,
    timestamp: new Date().toISOString(),
    from: { id: customer, idType: 'opaque' },
    text: 'hello',
  });
  const stored = async (messages: InboundMessage[]) => {
    const ids = messages.map((m) => m.messageId);
    const rows = await store.db.selectFrom('messages').select('platform_message_id').where('platform_message_id', 'in', ids).execute();
    return rows.map((r) => r.platform_message_id).sort();
  };

  it('takes what arrived during a transaction into the next one, partitions in turn, at most maxConcurrent at once', async () => {
    const sizes: number[] = [];
    const batcher = new InboundBatcher(host, config, { maxConcurrent: 1, committed: (size) => sizes.push(size) });
    const first = message('c-first');
    const laterOnOne = Array.from({ length: 9 }, (_, i) => message(`c-one-${i}`));
    const onTwo = Array.from({ length: 5 }, (_, i) => message(`c-two-${i}`));

    const outcomes = await Promise.all([
      batcher.submit(1, first),
      ...laterOnOne.map((m) => batcher.submit(1, m)),
      ...onTwo.map((m) => batcher.submit(2, m)),
    ]);

    expect(outcomes.every((o) => o === 'stored')).toBe(true);
    // Partition 1's first message alone (it started at once), then partition 2 (its turn
    // came first), then the nine that waited on partition 1, in one transaction.
    expect(sizes).toEqual([1, 5, 9]);
    expect(await stored([first, ...laterOnOne, ...onTwo])).toHaveLength(15);
  });

  it('reports a failing message alone and stores the rest of its batch', async () => {
    const sizes: number[] = [];
    const batcher = new InboundBatcher(host, config, { maxConcurrent: 1, committed: (size) => sizes.push(size) });
    const first = message('c-alone');
    const good = [message('c-good-1'), message('c-good-2')];
    const bad = message('c-bad', 'telegram');

    const submitted = [batcher.submit(1, first), batcher.submit(1, good[0] as InboundMessage), batcher.submit(1, bad), batcher.submit(1, good[1] as InboundMessage)];
    const outcomes = await Promise.allSettled(submitted);

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(((outcomes[2] as PromiseRejectedResult).reason as ParleyError).code).toBe('unknownChannel');
    // The batch of three failed as a whole and was retried message by message.
    expect(sizes).toEqual([1, 1, 1]);
    expect(await stored([first, ...good, bad])).toEqual([first, ...good].map((m) => m.messageId).sort());
  });

  it('stores a redelivered message once', async () => {
    const batcher = new InboundBatcher(host, config);
    const m = message('c-again');
    expect(await batcher.submit(1, m)).toBe('stored');
    expect(await batcher.submit(1, m)).toBe('duplicate');
    expect(await stored([m])).toHaveLength(1);
  });

  it('refuses messages beyond maxQueued as unavailable (they stay in JetStream)', async () => {
    const batcher = new InboundBatcher(host, config, { maxQueued: 2, maxConcurrent: 1 });
    // The first starts at once; two wait; the fourth finds the queue full.
    const submitted = Array.from({ length: 4 }, (_, i) => batcher.submit(1, message(`c-full-${i}`)));
    const outcomes = await Promise.allSettled(submitted);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    const refusal = (outcomes[3] as PromiseRejectedResult).reason as ParleyError;
    expect(refusal.code).toBe('unavailable');
    expect(refusal.retryable).toBe(true);
  });
});
