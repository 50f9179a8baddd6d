import { jetstreamManager, RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { streams } from '../contract/index.ts';
import { retryCreationRace } from './creation-race.ts';

const day = 24 * 3600 * 1000;

/**
 * Stream settings (limits retention: acknowledged messages stay until their max age, so
 * they can be inspected or replayed): inbound 7 days, commands 1 day, outbound 7 days
 * for the adapters, dead letters 30 days. The de-duplication window is what makes a
 * re-published message (same `Nats-Msg-Id`) harmless.
 */
const definitions: Partial<StreamConfig>[] = [
  { ...streams.inbound, subjects: [...streams.inbound.subjects], retention: RetentionPolicy.Limits, max_age: nanos(7 * day), duplicate_window: nanos(10 * 60 * 1000) },
  { ...streams.commands, subjects: [...streams.commands.subjects], retention: RetentionPolicy.Limits, max_age: nanos(1 * day), duplicate_window: nanos(2 * 60 * 1000) },
  { ...streams.outbound, subjects: [...streams.outbound.subjects], retention: RetentionPolicy.Limits, max_age: nanos(7 * day), duplicate_window: nanos(10 * 60 * 1000) },
  { ...streams.deadLetters, subjects: [...streams.deadLetters.subjects], retention: RetentionPolicy.Limits, max_age: nanos(30 * day), duplicate_window: nanos(10 * 60 * 1000) },
];

/**
 * Creates Parley's streams, or updates them to the current settings. Idempotent, and safe
 * for processes starting together: a stream another one created meanwhile is updated.
 */
export async function ensureStreams(nc: NatsConnection, storage: StorageType = StorageType.File): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const def of definitions) {
    const config = { ...def, storage } as StreamConfig;
    await retryCreationRace(async () => {
      try {
        await jsm.streams.info(config.name);
        await jsm.streams.update(config.name, config);
      } catch (err) {
        if (!isStreamNotFound(err)) throw err;
        await jsm.streams.add(config);
      }
    });
  }
}

/** The JetStream API's answer for a stream that does not exist. */
export function isStreamNotFound(err: unknown): boolean {
  const e = err as { api_error?: { err_code?: number }; message?: string };
  return e.api_error?.err_code === 10059 || /stream not found/i.test(e.message ?? '');
}
