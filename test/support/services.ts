/**
 * Test harness entry point: real NATS (JetStream) and PostgreSQL for
 * end-to-end tests. Call startTestServices() once per test file:
 *
 *   let services: TestServices;
 *   beforeAll(async () => { services = await startTestServices(); });
 *   afterAll(() => services?.stop());
 */
import { startNatsService } from './nats-service.ts';
import { startPostgresService } from './postgres-service.ts';

export { freePort } from './free-port.ts';
export { startNatsServer } from './nats-server.ts';
export type { NatsServer, NatsServerOptions } from './nats-server.ts';
export { waitFor } from './wait-for.ts';
export type { WaitForOptions } from './wait-for.ts';

export interface TestServices {
  natsUrl: string;
  databaseUrl: string;
  stop(): Promise<void>;
}

export async function startTestServices(): Promise<TestServices> {
  const [nats, postgres] = await Promise.allSettled([startNatsService(), startPostgresService()]);
  if (nats.status === 'rejected' || postgres.status === 'rejected') {
    // Do not leak the half that did start.
    await Promise.allSettled([nats, postgres].flatMap((r) => (r.status === 'fulfilled' ? [r.value.stop()] : [])));
    const errors = [nats, postgres].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    throw errors.length === 1 ? errors[0] : new AggregateError(errors, errors.map(String).join('\n'));
  }

  let stopped: Promise<void> | undefined;
  return {
    natsUrl: nats.value.url,
    databaseUrl: postgres.value.url,
    // Idempotent; stops both even if one fails, then reports the failure.
    stop() {
      stopped ??= Promise.allSettled([postgres.value.stop(), nats.value.stop()]).then((results) => {
        const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
        if (errors.length > 0) throw new AggregateError(errors, 'TestServices.stop() failed');
      });
      return stopped;
    },
  };
}
