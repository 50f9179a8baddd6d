import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { ConfigRegistry, ConfigWatcher, openConfigBucket, putManifest, type Manifest } from '../../src/config/index.ts';
import { migrateToLatest, openStore, type Store } from '../../src/store/index.ts';
import { startRouter, type Router } from '../../src/router/index.ts';
import { createLogger } from '../../src/observability/index.ts';
import { acceptedAssignmentOf, conversationOfPhone } from '../support/awaits.ts';

const tenant = 'acme';
const channel: Manifest = { apiVersion: 'parley.dev/v1alpha1', kind: 'Channel', metadata: { name: 'whatsapp', namespace: tenant }, spec: { type: 'whatsapp', queue: 'support' } };
const supportQueue = (method: string): Manifest => ({ apiVersion: 'parley.dev/v1alpha1', kind: 'Queue', metadata: { name: 'support', namespace: tenant }, spec: { method, skills: ['support'] } });

/** A router whose configuration comes from the config bucket, as in a cluster. */
describe('queue configuration applied live', () => {
  let services: TestServices;
  let nc: NatsConnection;
  let store: Store;
  let bucket: KV;
  let watcher: ConfigWatcher;
  let router: Router;
  const config = new ConfigRegistry();

  beforeAll(async () => {
    services = await startTestServices();
    nc = await connect({ servers: services.natsUrl });
    store = await openStore({ url: services.databaseUrl });
    await migrateToLatest(store.db);
    bucket = await openConfigBucket(nc);
    await putManifest(bucket, channel);
    await putManifest(bucket, supportQueue('best-skills'));
    watcher = new ConfigWatcher(bucket, config);
    await watcher.start();
    router = await startRouter({ nc, db: store.db, config, registry: new Registry(), logger: createLogger({}, { level: 'warn' }) });
  });

  afterAll(async () => {
    watcher?.stop();
    await router?.stop();
    await store?.close();
    await nc?.drain();
    await services?.stop();
  });

  const assignmentOf = (conversationId: string) => acceptedAssignmentOf(store.db, conversationId);
  const conversationOf = (phone: string) => conversationOfPhone(store.db, phone);

  it('routes the next conversation by the new method after the queue changes, without a restart', async () => {
    // Rookie has been idle longest; expert is the most proficient. Both answer automatically.
    const rookie = new AgentDriver(nc, tenant, 'rookie');
    const expert = new AgentDriver(nc, tenant, 'expert');
    await rookie.command({ type: 'agent.configure', name: 'Rookie', skills: ['support'], proficiency: { support: 1 }, capacity: { message: 10 }, autoAccept: true });
    await expert.command({ type: 'agent.configure', name: 'Expert', skills: ['support'], proficiency: { support: 5 }, capacity: { message: 10 }, autoAccept: true });
    await rookie.presence('available');
    await expert.presence('available');

    await new CustomerDriver(nc, tenant, 'whatsapp', { id: '+33600000001', idType: 'phone' }).say('first');
    const first = await assignmentOf((await conversationOf('+33600000001')).id);
    expect(first).toMatchObject({ agent_id: 'expert', reason: { method: 'best-skills', candidates: 2, score: 5 } });

    await putManifest(bucket, supportQueue('longest-idle'));
    await waitFor(() => (config.queue(tenant, 'support')?.method === 'longest-idle' ? true : undefined), { what: 'the new method to be live' });

    // Under best-skills the expert would win again; longest-idle now picks the rookie.
    await new CustomerDriver(nc, tenant, 'whatsapp', { id: '+33600000002', idType: 'phone' }).say('second');
    const second = await assignmentOf((await conversationOf('+33600000002')).id);
    expect(second).toMatchObject({ agent_id: 'rookie', reason: { method: 'longest-idle', candidates: 2 } });
    rookie.stop();
    expert.stop();
  });
});
