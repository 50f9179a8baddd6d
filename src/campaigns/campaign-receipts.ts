import type { NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import { startBatchConsumeLoop, type ConsumeLoop } from '../bus/index.ts';
import { DeliveryReceipt, streams, subjects } from '../contract/index.ts';
import type { Logger } from '../observability/index.ts';
import type { Database } from '../store/index.ts';
import { recordReceipts } from './attempts.ts';
import { campaignDb } from './tables.ts';

/** The durable consumer campaigns read receipts with (the router has its own: each sees every receipt). */
export const CAMPAIGN_RECEIPTS_CONSUMER = 'parley-campaign-receipts';

/**
 * Records delivery receipts of campaign messages on their attempts, a batch of receipts
 * per statement: a campaign's receipts arrive at its sending rate, and one UPDATE each
 * would take the connections the runner needs. Receipts of other messages match no
 * attempt; a receipt that does not decode is the router's to dead-letter (it reads the
 * same subjects). Both are acknowledged with their batch.
 */
export async function startCampaignReceipts(nc: NatsConnection, db: Kysely<Database>, logger?: Logger, options: { maxBatch?: number } = {}): Promise<ConsumeLoop> {
  const cdb = campaignDb(db);
  return startBatchConsumeLoop(nc, {
    stream: streams.inbound.name,
    durable: CAMPAIGN_RECEIPTS_CONSUMER,
    filterSubject: subjects.all.receipts,
    maxBatch: options.maxBatch ?? 1_000,
    async handle(batch) {
      const receipts = batch.flatMap((msg) => {
        let body: unknown;
        try {
          body = msg.json();
        } catch {
          return [];
        }
        const parsed = DeliveryReceipt.safeParse(body);
        return parsed.success ? [parsed.data] : [];
      });
      await recordReceipts(cdb, receipts);
    },
    onError: (err) => logger?.warn('campaign receipts not recorded', { error: String(err) }),
  });
}
