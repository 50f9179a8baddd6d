import { Readable } from 'node:stream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignDb, campaignPartition, findCampaignRun, sendCampaignCommand, startCampaignService, type CampaignService } from '../../src/campaigns/index.ts';
import { importContacts, saveContactList } from '../../src/contacts/index.ts';
import { createLogger } from '../../src/observability/index.ts';
import type { Router } from '../../src/router/index.ts';
import type { Store } from '../../src/store/index.ts';
import { waitFor } from '../support/wait-for.ts';
import { campaignResources, daytimeClock, registryOf, startCampaignBed, startCampaignRouter, type CampaignBed, type FakeProvider } from './support.ts';

/**
 * The Campaign actor in a cluster of two routers: it lives on the owner of its
 * partition, commands sent to either router reach it there, and its sending moves with
 * the partition when that router hands it over.
 */
let bed: CampaignBed;
let store: Store;
let nc: NatsConnection;
let provider: FakeProvider;
const routers: Router[] = [];
const campaignServices: CampaignService[] = [];

beforeAll(async () => {
  bed = await startCampaignBed();
  ({ store, nc, provider } = bed);
});

afterAll(async () => {
  for (const s of campaignServices) await s.stop();
  for (const r of routers) await r.stop();
  await bed?.stop();
});

const tenant = 'acme';
const contacts = 300;

describe('the Campaign actor across routers', () => {
  it('is commanded through either router, and finishes on the other when its owner hands the partition over', { timeout: 120_000 }, async () => {
    await saveContactList(store.db, { tenant, id: 'big', name: 'big' });
    const csv = ['id,phone,first_name', ...Array.from({ length: contacts }, (_, i) => `c${i},+1212555${String(1000 + i)},N${i}`)].join('\n') + '\n';
    await importContacts(Readable.from([csv]), { tenant, listId: 'big', database: store.db });
    // Declared paused: nothing runs until the API starts it. 3,000 a minute: the hand-over lands mid-run.
    const resources = campaignResources({ tenant, campaign: 'big', listId: 'big', perMinute: 3_000, paused: true });
    const config = registryOf(resources);
    for (const node of ['a', 'b']) {
      const router = await startCampaignRouter(nc, store.db, { nodeId: node });
      routers.push(router);
      campaignServices.push(await startCampaignService({ nc, db: store.db, config, host: router.campaigns, now: daytimeClock(), scanMs: 100, tickMs: 20, maxBatch: 20, logger: createLogger({ component: 'campaigns-test' }, { level: 'warn' }) }));
    }
    const [a, b] = routers as [Router, Router];
    const partition = campaignPartition(tenant, 'big', a.campaigns.partitions);
    // Settled: each holds its half (until then, a partition may be on its way from one to the other).
    const half = a.campaigns.partitions / 2;
    await waitFor(() => (a.cluster().owned.length === half && b.cluster().owned.length === half ? true : undefined), {
      what: 'the partitions shared between the two routers',
    });
    const [owner, other] = a.campaigns.owns(partition) ? [a, b] : [b, a];
    const db = campaignDb(store.db);
    await waitFor(async () => ((await findCampaignRun(db, tenant, 'big'))?.spec_paused === true ? true : undefined), { what: 'the run row, its spec applied' });

    // The router that does not own the campaign forwards the command to the one that does.
    expect(await other.campaigns.command({ tenant, name: 'big', event: { type: 'start', at: new Date().toISOString() } })).toEqual({ result: 'done', state: 'running' });
    expect(await other.campaigns.command({ tenant, name: 'big', event: { type: 'start', at: new Date().toISOString() } })).toEqual({ result: 'refused', state: 'running' });
    expect(await other.campaigns.command({ tenant, name: 'nope', event: { type: 'stop', at: new Date().toISOString() } })).toEqual({ result: 'unknown' });
    const sentBy = (m: { to: { id: string } }) => m.to.id;
    await waitFor(() => (provider.messages.length >= 40 ? true : undefined), { what: 'the owner sending' });
    const attemptsBefore = await db.selectFrom('campaign_attempts').select('epoch').where('campaign', '=', 'big').execute();
    expect(new Set(attemptsBefore.map((r) => r.epoch)).size).toBe(1);

    // A graceful hand-over: the owner stops, the other router takes the partition and the campaign.
    const index = routers.indexOf(owner);
    await campaignServices[index]!.stop();
    await owner.stop();
    routers.splice(index, 1);
    campaignServices.splice(index, 1);
    await waitFor(() => (other.campaigns.owns(partition) ? true : undefined), { what: 'the partition taken over' });
    // The API's commands still reach the actor, now on the other router; its state came from the store.
    expect(await sendCampaignCommand(nc, { tenant, name: 'big', event: { type: 'pause', at: new Date().toISOString() } })).toBe('paused');
    expect(await sendCampaignCommand(nc, { tenant, name: 'big', event: { type: 'resume', at: new Date().toISOString() } })).toBe('running');
    await waitFor(async () => ((await findCampaignRun(db, tenant, 'big'))?.state === 'completed' ? true : undefined), { what: 'completed by the new owner', timeoutMs: 60_000 });

    const attempts = await db.selectFrom('campaign_attempts').select(['contact_id', 'epoch']).where('campaign', '=', 'big').execute();
    expect(attempts).toHaveLength(contacts);
    expect(new Set(attempts.map((r) => r.epoch)).size).toBe(2);
    await waitFor(() => (provider.messages.filter((m) => m.tenant === tenant).length >= contacts ? true : undefined), { what: 'every message at the provider' });
    const perAddress = new Map<string, number>();
    for (const m of provider.messages) perAddress.set(sentBy(m), (perAddress.get(sentBy(m)) ?? 0) + 1);
    expect(perAddress.size).toBe(contacts);
    expect([...perAddress.values()].every((n) => n === 1)).toBe(true);
  });
});
