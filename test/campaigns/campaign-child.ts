/**
 * A process that runs a router and its campaigns and nothing else, for the crash test:
 * reads its resources from PARLEY_TEST_RESOURCES (JSON), prints one JSON line when started.
 */
import { Registry } from 'prom-client';
import { connectBus } from '../../src/bus/index.ts';
import { startCampaignService } from '../../src/campaigns/index.ts';
import type { Resource } from '../../src/config/index.ts';
import { createLogger } from '../../src/observability/index.ts';
import { startRouter } from '../../src/router/index.ts';
import { openStore } from '../../src/store/index.ts';
import { daytimeClock, registryOf } from './support.ts';

// Already parsed (defaults resolved) by the test: plain JSON of Resource objects.
const resources = JSON.parse(process.env.PARLEY_TEST_RESOURCES ?? '[]') as Resource[];
const nc = await connectBus({ url: process.env.NATS_URL });
const store = await openStore({ url: process.env.DATABASE_URL! });
const config = registryOf(resources);
const router = await startRouter({ nc, db: store.db, config, registry: new Registry(), nodeId: 'child', leaseMs: Number(process.env.PARLEY_LEASE_MS), logger: createLogger({ component: 'child' }, { level: 'warn' }) });
await startCampaignService({ nc, db: store.db, config, host: router.campaigns, now: daytimeClock(), scanMs: 100, tickMs: 20, maxBatch: 20, receipts: false });
console.log(JSON.stringify({ msg: 'campaigns started' }));
