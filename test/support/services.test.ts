import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startNatsServer, startTestServices, waitFor } from './services.ts';
import type { TestServices } from './services.ts';

async function currentDatabase(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
    return rows[0]?.db;
  } finally {
    await client.end();
  }
}

async function streamNames(url: string): Promise<string[]> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const names: string[] = [];
    for await (const name of jsm.streams.names()) names.push(name);
    return names;
  } finally {
    await nc.close();
  }
}

describe('startTestServices', () => {
  let services: TestServices | undefined;

  beforeAll(async () => {
    services = await startTestServices();
  });

  afterAll(async () => {
    await services?.stop();
  });

  it('provides a NATS server with JetStream enabled', async () => {
    const nc = await connect({ servers: services!.natsUrl });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.add({ name: 'PARLEY_HARNESS', subjects: ['parley.harness.>'] });
      expect(info.config.name).toBe('PARLEY_HARNESS');
      const js = jsm.jetstream();
      const ack = await js.publish('parley.harness.ping', 'hello');
      expect(ack.stream).toBe('PARLEY_HARNESS');
    } finally {
      await nc.close();
    }
  });

  it('provides a fresh database that is dropped by stop()', async () => {
    const url = services!.databaseUrl;
    const name = new URL(url).pathname.slice(1);
    expect(name).toMatch(/^parley_test_[0-9a-f]+$/);
    expect(await currentDatabase(url)).toBe(name);

    // A second harness yields a different database, then tears everything down.
    const other = await startTestServices();
    expect(other.databaseUrl).not.toBe(url);
    const otherUrl = other.databaseUrl;
    // Leave a session open: stop() must still be able to drop the database.
    const lingering = new pg.Client({ connectionString: otherUrl });
    lingering.on('error', () => {});
    await lingering.connect();
    await other.stop();
    await lingering.end().catch(() => undefined);

    await expect(currentDatabase(otherUrl)).rejects.toMatchObject({ code: '3D000' }); // invalid_catalog_name
  });
});

describe('startNatsServer', () => {
  it('restarts on the same storeDir and keeps streams', async () => {
    const first = await startNatsServer();
    let second: Awaited<ReturnType<typeof startNatsServer>> | undefined;
    try {
      const nc = await connect({ servers: first.url });
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'PARLEY_DURABLE', subjects: ['parley.durable.>'] });
      await jsm.jetstream().publish('parley.durable.one', 'kept');
      await nc.close();
      await first.stop();

      // The old port no longer answers.
      await expect(connect({ servers: first.url, reconnect: false, timeout: 1_000 })).rejects.toThrow();

      second = await startNatsServer({ storeDir: first.storeDir, port: first.port });
      expect(second.url).toBe(first.url);
      const names = await waitFor(
        async () => {
          const found = await streamNames(second!.url);
          return found.includes('PARLEY_DURABLE') ? found : undefined;
        },
        { what: 'stream PARLEY_DURABLE to be recovered' },
      );
      expect(names).toContain('PARLEY_DURABLE');

      const nc2 = await connect({ servers: second.url });
      const info = await (await jetstreamManager(nc2)).streams.info('PARLEY_DURABLE');
      expect(info.state.messages).toBe(1);
      await nc2.close();
    } finally {
      await second?.stop();
      await first.stop();
    }
  });

  it('survives SIGKILL and recovers from the store', async () => {
    const first = await startNatsServer();
    const nc = await connect({ servers: first.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'PARLEY_CRASH', subjects: ['parley.crash.>'] });
    await nc.close();
    await first.stop('SIGKILL');

    const second = await startNatsServer({ storeDir: first.storeDir });
    try {
      expect(await streamNames(second.url)).toContain('PARLEY_CRASH');
    } finally {
      await second.stop();
    }
  });
});

describe('startNatsServer failures', () => {
  it('reports why the server could not start', async () => {
    const port = await freePort();
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      await expect(startNatsServer({ port })).rejects.toThrow(/exited during startup.*address already in use/s);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});

describe('waitFor', () => {
  it('returns the first defined value', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? calls : undefined), { intervalMs: 1 });
    expect(value).toBe(3);
  });

  it('names the condition on timeout', async () => {
    await expect(waitFor(() => undefined, { timeoutMs: 50, intervalMs: 5, what: 'the moon' })).rejects.toThrow(
      /timed out after 50ms waiting for the moon/,
    );
  });
});
