import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignDb, findCampaignRun, startCampaignService, type CampaignService } from '../../src/campaigns/index.ts';
import type { Router } from '../../src/router/index.ts';
import { importContacts, saveContactList } from '../../src/contacts/index.ts';
import type { Store } from '../../src/store/index.ts';
import { trackChild } from '../support/process-cleanup.ts';
import type { TestServices } from '../support/services.ts';
import { waitFor } from '../support/wait-for.ts';
import { campaignResources, daytimeClock, registryOf, startCampaignBed, startCampaignRouter, type CampaignBed, type FakeProvider } from './support.ts';

let bed: CampaignBed;
let services: TestServices;
let store: Store;
let nc: NatsConnection;
let provider: FakeProvider;
let survivor: CampaignService | undefined;
let survivorRouter: Router | undefined;
let child: ChildProcess | undefined;

beforeAll(async () => {
  bed = await startCampaignBed();
  ({ services, store, nc, provider } = bed);
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await survivor?.stop();
  await survivorRouter?.stop();
  await bed?.stop();
});

const contacts = 400;
/** The routers' partition leases: the survivor takes the child's partitions once they expire. */
const LEASE_MS = 2_000;

describe('a router killed mid-send of its campaign (kill -9)', () => {
  it('is taken over with its partition once the lease expires, and every contact is attempted exactly once', { timeout: 120_000 }, async () => {
    await saveContactList(store.db, { tenant: 'acme', id: 'big', name: 'big' });
    const csv = ['id,phone,first_name', ...Array.from({ length: contacts }, (_, i) => `c${i},+1212555${String(1000 + i)},N${i}`)].join('\n') + '\n';
    await importContacts(Readable.from([csv]), { tenant: 'acme', listId: 'big', database: store.db });
    // 6,000 a minute: 100 a second, so the kill lands mid-run.
    const resources = campaignResources({ tenant: 'acme', campaign: 'big', listId: 'big', perMinute: 6_000 });
    child = spawn(process.execPath, ['--import', 'tsx', 'test/campaigns/campaign-child.ts'], {
      env: { ...process.env, NATS_URL: services.natsUrl, DATABASE_URL: services.databaseUrl, PARLEY_LEASE_MS: String(LEASE_MS), PARLEY_TEST_RESOURCES: JSON.stringify(resources) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const untrack = trackChild(child);
    const db = campaignDb(store.db);
    const count = async () => Number((await db.selectFrom('campaign_attempts').select((eb) => eb.fn.countAll<string>().as('n')).where('campaign', '=', 'big').executeTakeFirstOrThrow()).n);
    await waitFor(async () => ((await count()) >= 60 ? true : undefined), { what: 'the child sending', timeoutMs: 60_000 });
    child.kill('SIGKILL');
    await once(child, 'exit');
    untrack();
    const atKill = await count();
    expect(atKill).toBeLessThan(contacts);
    const run = await findCampaignRun(db, 'acme', 'big');
    expect(run).toMatchObject({ state: 'running' });

    const config = registryOf(resources);
    survivorRouter = await startCampaignRouter(nc, store.db, { nodeId: 'survivor', leaseMs: LEASE_MS });
    survivor = await startCampaignService({ nc, db: store.db, config, host: survivorRouter.campaigns, now: daytimeClock(), scanMs: 100, tickMs: 20 });
    await waitFor(async () => ((await findCampaignRun(db, 'acme', 'big'))?.state === 'completed' ? true : undefined), { what: 'completed by the survivor', timeoutMs: 60_000 });

    const attempts = await db.selectFrom('campaign_attempts').selectAll().where('campaign', '=', 'big').execute();
    expect(attempts).toHaveLength(contacts);
    expect(new Set(attempts.map((a) => a.contact_id)).size).toBe(contacts);
    // The stream holds one message per contact: a re-publish after the crash was dropped by its Nats-Msg-Id.
    await waitFor(() => (provider.messages.length >= contacts ? true : undefined), { what: 'every message at the provider', timeoutMs: 30_000 });
    const perAddress = new Map<string, number>();
    for (const m of provider.messages) perAddress.set(m.to.id, (perAddress.get(m.to.id) ?? 0) + 1);
    expect(perAddress.size).toBe(contacts);
    expect([...perAddress.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    // Both owners of the campaign's partition wrote attempts, each under its own epoch: the child before the kill, the survivor after it.
    const epochs = [...new Set(attempts.map((a) => Number(a.epoch)))].sort((a, b) => a - b);
    expect(epochs).toHaveLength(2);
    const [childEpoch] = epochs;
    const beforeKill = attempts.filter((a) => Number(a.epoch) === childEpoch).length;
    // Those the child had written but not yet published were decided again by the survivor.
    expect(beforeKill).toBeGreaterThan(0);
    expect(beforeKill).toBeLessThanOrEqual(atKill);
  });
});
