import { connect, type NatsConnection } from '@nats-io/transport-node';

/** Where a process looks for NATS when NATS_URL is not set. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

export interface BusOptions {
  /** NATS server URL(s). @default "nats://127.0.0.1:4222" */
  url?: string;
  /** Connection name shown by the server (`nats server report connections`). */
  name?: string;
}

/**
 * Connects to NATS and keeps reconnecting forever once connected: a router outlives
 * server restarts. The first connection is not retried: a wrong URL fails the start.
 */
export async function connectBus(options: BusOptions = {}): Promise<NatsConnection> {
  return connect({
    servers: (options.url ?? DEFAULT_NATS_URL).split(','),
    name: options.name ?? 'parley',
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    // Otherwise every request and JetStream publish builds two errors up front, stacks
    // captured, in case it fails: 13 % of a campaign's CPU (docs/campaigns.md §6). A
    // request that does fail still says why; only its stack lacks the caller's frames.
    noAsyncTraces: true,
  });
}
