import { JetStreamApiError, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureStreams, isCreatedMeanwhile, retryCreationRace } from '../../src/bus/index.ts';
import { streams } from '../../src/contract/index.ts';
import { startNatsServer, type NatsServer } from '../support/services.ts';

/** JetStream's refusal as the client library builds it from the server's answer. */
const refusal = (code: number, description: string) => new JetStreamApiError({ err_code: code, code: 400, description });

describe('retryCreationRace', () => {
  it('creates once more when another process created the stream meanwhile, and resolves with that answer', async () => {
    for (const refused of [refusal(10065, 'subjects overlap with an existing stream'), refusal(10058, 'stream name already in use with a different configuration')]) {
      let calls = 0;
      const bucket = await retryCreationRace(() => (++calls === 1 ? Promise.reject(refused) : Promise.resolve('bucket')));
      expect(bucket).toBe('bucket');
      expect(calls).toBe(2);
    }
  });

  it('throws a second refusal: the stream in the way is a real conflict, not a race', async () => {
    let calls = 0;
    const created = retryCreationRace(() => {
      calls++;
      return Promise.reject(refusal(10065, 'subjects overlap with an existing stream'));
    });
    await expect(created).rejects.toThrow('subjects overlap');
    expect(calls).toBe(2);
  });

  it('throws any other error at once', async () => {
    for (const other of [refusal(10059, 'stream not found'), new Error('permissions violation')]) {
      let calls = 0;
      await expect(retryCreationRace(() => (calls++, Promise.reject(other)))).rejects.toBe(other);
      expect(calls).toBe(1);
    }
  });
});

describe('ensureStreams against a stream of another name on its subjects', () => {
  let server: NatsServer;
  let nc: NatsConnection;

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
  });

  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  // The race itself cannot be made to happen on demand: this holds that the code it is
  // recognized by is the one a real server sends, and that a real conflict still fails.
  it('still fails on a real conflict, with the code a real server sends for it', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'SOMEONE_ELSES', subjects: [...streams.inbound.subjects] });
    const failure = await ensureStreams(nc).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isCreatedMeanwhile(failure)).toBe(true);
    expect(String(failure)).toMatch(/subjects overlap/);
    // Nothing of Parley's was made on those subjects.
    await expect(jsm.streams.info(streams.inbound.name)).rejects.toThrow(/stream not found/);
  });
});
