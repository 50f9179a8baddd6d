/**
 * A process that runs campaigns and nothing else, for the crash test: reads its
 * resources from PARLEY_TEST_RESOURCES (JSON), prints one JSON line when started.
 */
import { connectBus } from '../../src/bus/index.ts';
import { startCampaignService } from '../../src/campaigns/index.ts';
import type { Resource } from '../../src/config/index.ts';
import { openStore } from '../../src/store/index.ts';
import { daytimeClock, registryOf } from './support.ts';

// Already parsed (defaults resolved) by the test: plain JSON of Resource objects.
const resources = JSON.parse(process.env.PARLEY_TEST_RESOURCES ?? '[]') as Resource[];
const nc = await connectBus({ url: process.env.NATS_URL });
const store = await openStore({ url: process.env.DATABASE_URL! });
await startCampaignService({ nc, db: store.db, config: registryOf(resources), now: daytimeClock(), owner: 'child', scanMs: 100, tickMs: 20, leaseMs: 2_000, maxBatch: 20, receipts: false });
console.log(JSON.stringify({ msg: 'campaigns started' }));
