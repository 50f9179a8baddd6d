import { connect, type NatsConnection } from '@nats-io/transport-node';

export interface BusOptions {
  /** NATS server URL(s). @default "nats://127.0.0.1:4222" */
  url?: string;
  /** Connection name shown by the server (`nats server report connections`). */
  name?: string;
}

/** Connects to NATS and keeps reconnecting forever: a router outlives server restarts. */
export async function connectBus(options: BusOptions = {}): Promise<NatsConnection> {
  return connect({
    servers: (options.url ?? 'nats://127.0.0.1:4222').split(','),
    name: options.name ?? 'parley',
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  });
}
