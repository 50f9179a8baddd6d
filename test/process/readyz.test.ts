import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFolder, type ConfigFolder } from '../support/config-folder.ts';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { startPostgresService, type PostgresService } from '../support/postgres-service.ts';
import { RouterProcess } from '../support/router-process.ts';
import { waitFor } from '../support/wait-for.ts';

interface ReadyAnswer {
  status: string;
  checks: Record<string, string>;
}

/** A router's `/readyz` says which dependency is down, not only that something is. */
describe('readyz names the dependency that is down', () => {
  let nats: NatsServer;
  let database: PostgresService;
  let config: ConfigFolder;
  let router: RouterProcess | undefined;

  beforeAll(async () => {
    [nats, database, config] = await Promise.all([startNatsServer(), startPostgresService(), configFolder('acme')]);
  });
  afterAll(async () => {
    await router?.kill();
    await nats?.stop();
    if (nats) await rm(nats.storeDir, { recursive: true, force: true });
    await database?.stop();
    await config?.remove();
  });

  const readyz = async () => {
    const res = await fetch(`${(router as RouterProcess).opsUrl}/readyz`);
    return { code: res.status, body: (await res.json()) as ReadyAnswer };
  };

  it('ready: every check ok; NATS stopped: 503 with the NATS check down and the others ok', { timeout: 120_000 }, async () => {
    router = await RouterProcess.start({ natsUrl: nats.url, databaseUrl: database.url, nodeId: 'router-0', configDir: config.dir, leaseMs: 3_000 });
    expect(await readyz()).toEqual({ code: 200, body: { status: 'ready', checks: { nats: 'ok', database: 'ok', leases: 'ok' } } });

    await nats.stop();
    const down = await waitFor(async () => {
      const answer = await readyz();
      return answer.code === 503 ? answer : undefined;
    }, { what: '/readyz to answer 503', timeoutMs: 30_000 });
    expect(down.body.status).toBe('unavailable');
    expect(down.body.checks.nats).toBe('disconnected (reconnecting)');
    expect(down.body.checks.database).toBe('ok');
  });
});
