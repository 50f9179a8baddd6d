import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { rm } from 'node:fs/promises';
import { DOCKER_HINT, dockerAvailable } from './docker.ts';
import { findNatsServerBinary, natsServerMissingMessage, startNatsServer } from './nats-server.ts';

export interface NatsService {
  url: string;
  stop(): Promise<void>;
}

/** Streams owned by this project; purged from a shared server before each test file. */
const STREAM_PREFIX = 'PARLEY';

/**
 * NATS for one test file: NATS_URL (shared, so purged first) → a private
 * nats-server process → a testcontainers nats:2.10 → a clear error.
 */
export async function startNatsService(): Promise<NatsService> {
  const sharedUrl = process.env.NATS_URL?.trim();
  if (sharedUrl) {
    await deleteProjectStreams(sharedUrl);
    return { url: sharedUrl, stop: async () => {} };
  }

  if (findNatsServerBinary()) {
    const server = await startNatsServer();
    return {
      url: server.url,
      async stop() {
        await server.stop();
        await rm(server.storeDir, { recursive: true, force: true });
      },
    };
  }

  if (await dockerAvailable()) return startNatsContainer();

  throw new Error(`${natsServerMissingMessage()}; ${DOCKER_HINT}`);
}

async function deleteProjectStreams(url: string): Promise<void> {
  const nc = await connect({ servers: url.split(','), timeout: 5_000 });
  try {
    const jsm = await jetstreamManager(nc);
    const doomed: string[] = [];
    for await (const name of jsm.streams.names()) {
      // The cluster bucket too: it records the previous file's database (one cluster, one database).
      if (name.startsWith(STREAM_PREFIX) || name === 'KV_parley_cluster') doomed.push(name);
    }
    for (const name of doomed) await jsm.streams.delete(name);
  } finally {
    await nc.close();
  }
}

async function startNatsContainer(): Promise<NatsService> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer('nats:2.10')
    .withCommand(['-js'])
    .withExposedPorts(4222)
    .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
    .start();
  return {
    url: `nats://${container.getHost()}:${container.getMappedPort(4222)}`,
    async stop() {
      await container.stop();
    },
  };
}
