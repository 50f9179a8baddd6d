import type { KV } from '@nats-io/kv';
import { sql, type Kysely } from 'kysely';
import { putCampaignStatus } from '../config/index.ts';
import type { Database } from '../store/index.ts';
import { readCampaignStatus } from './campaign-status.ts';
import { campaignDb } from './tables.ts';

export interface CampaignStatusPublisherOptions {
  /** This process, as lease owner. */
  owner: string;
  /** At most one report per campaign this often. @default 5000 */
  everyMs?: number;
}

/**
 * Reports campaigns' status to the campaign status bucket, for the operator to write to
 * the resources. Rate-limited per campaign, and written only when it changed (the bucket
 * compares), so a watch on the bucket sees only news. While a process holds a campaign's
 * lease only that process reports it, so two processes counting at different moments do
 * not make the numbers go back and forth; without a live lease (scheduled, completed,
 * stopped) any process may, and they count the same rows.
 */
export class CampaignStatusPublisher {
  private readonly lastAt = new Map<string, number>();
  private readonly everyMs: number;

  constructor(
    private readonly kv: KV,
    private readonly db: Kysely<Database>,
    private readonly options: CampaignStatusPublisherOptions,
  ) {
    this.everyMs = options.everyMs ?? 5_000;
  }

  /** Reports one campaign if its turn has come; whether it wrote a new report. */
  async publish(tenant: string, name: string): Promise<boolean> {
    const id = `${tenant}/${name}`;
    const now = Date.now();
    const last = this.lastAt.get(id);
    if (last !== undefined && now - last < this.everyMs) return false;
    if (await this.leasedElsewhere(tenant, name)) return false;
    this.lastAt.set(id, now);
    const report = await readCampaignStatus(this.db, tenant, name);
    return report ? putCampaignStatus(this.kv, report) : false;
  }

  private async leasedElsewhere(tenant: string, name: string): Promise<boolean> {
    const row = await campaignDb(this.db)
      .selectFrom('campaign_runs')
      .select((eb) => eb.and([eb('owner', 'is not', null), eb('owner', '!=', this.options.owner), eb('lease_until', '>', sql<Date>`now()`)]).as('elsewhere'))
      .where('tenant', '=', tenant)
      .where('name', '=', name)
      .executeTakeFirst();
    return row?.elsewhere === true;
  }
}
