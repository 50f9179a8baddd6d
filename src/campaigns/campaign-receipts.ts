import type { NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import { startConsumeLoop, type ConsumeLoop } from '../bus/index.ts';
import { DeliveryReceipt, streams, subjects } from '../contract/index.ts';
import type { Logger } from '../observability/index.ts';
import type { Database } from '../store/index.ts';
import { recordReceipt } from './attempts.ts';
import { campaignDb } from './tables.ts';

/** The durable consumer campaigns read receipts with (the router has its own: each sees every receipt). */
export const CAMPAIGN_RECEIPTS_CONSUMER = 'parley-campaign-receipts';

/**
 * Records delivery receipts of campaign messages on their attempts. Receipts of other
 * messages match no attempt and are acknowledged; a receipt that does not decode is the
 * router's to dead-letter (it reads the same subjects), so it is acknowledged here.
 */
export async function startCampaignReceipts(nc: NatsConnection, db: Kysely<Database>, logger?: Logger): Promise<ConsumeLoop> {
  const cdb = campaignDb(db);
  return startConsumeLoop(nc, {
    stream: streams.inbound.name,
    durable: CAMPAIGN_RECEIPTS_CONSUMER,
    filterSubject: subjects.all.receipts,
    concurrency: 64,
    async handle(msg) {
      const parsed = DeliveryReceipt.safeParse(msg.json());
      if (!parsed.success) return { ack: true };
      await recordReceipt(cdb, parsed.data);
      return { ack: true };
    },
    onError: (err) => logger?.warn('campaign receipt not recorded', { error: String(err) }),
  });
}
