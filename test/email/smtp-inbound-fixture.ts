import { afterAll, beforeAll } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { startTestServices, type TestServices } from '../support/services.ts';
import { ensureStreams } from '../../src/bus/index.ts';
import { streams } from '../../src/contract/index.ts';
import { migrateToLatest, openStore, type Store } from '../../src/store/index.ts';
import { startEmailInbound, type EmailChannelOptions, type EmailInbound } from '../../src/email/index.ts';

export interface SmtpInboundFixture {
  readonly services: TestServices;
  readonly nc: NatsConnection;
  readonly store: Store;
  readonly inbound: EmailInbound;
  /** The SMTP listener's port. */
  readonly port: number;
  /** Messages in the inbound stream on one subject (customer messages or receipts). */
  count: (subject: string) => Promise<number>;
}

/**
 * A test file's SMTP listener for `channels` (at most 200,000 bytes a mail), publishing
 * into JetStream on its own NATS server and database: started in `beforeAll`, stopped
 * after the file.
 */
export function useSmtpInbound(channels: EmailChannelOptions[]): SmtpInboundFixture {
  const fx = {} as { -readonly [K in keyof SmtpInboundFixture]: SmtpInboundFixture[K] };
  fx.count = async (subject) => {
    const info = await (await jetstreamManager(fx.nc)).streams.info(streams.inbound.name, { subjects_filter: subject });
    return info.state.subjects?.[subject] ?? 0;
  };

  beforeAll(async () => {
    fx.services = await startTestServices();
    fx.nc = await connect({ servers: fx.services.natsUrl });
    await ensureStreams(fx.nc);
    fx.store = await openStore({ url: fx.services.databaseUrl });
    await migrateToLatest(fx.store.db);
    fx.inbound = await startEmailInbound({ smtp: { host: '127.0.0.1', port: 0, maxMessageBytes: 200_000 }, channels: () => channels }, { nc: fx.nc, db: fx.store.db });
    fx.port = fx.inbound.smtpPort!;
  });

  afterAll(async () => {
    await fx.inbound?.close();
    await fx.store?.close();
    await fx.nc?.close();
    await fx.services?.stop();
  });

  return fx;
}
