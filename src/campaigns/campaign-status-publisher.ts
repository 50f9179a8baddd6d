import type { KV } from '@nats-io/kv';
import type { Kysely } from 'kysely';
import { putCampaignStatus } from '../config/index.ts';
import type { Database } from '../store/index.ts';
import { readCampaignStatus } from './campaign-status.ts';

export interface CampaignStatusPublisherOptions {
  /** Whether this process owns the campaign's partition (runs it). */
  owns(tenant: string, name: string): boolean;
  /** At most one report per campaign this often. @default 5000 */
  everyMs?: number;
}

/**
 * Reports campaigns' status to the campaign status bucket, for the operator to write to
 * the resources. Rate-limited per campaign, and written only when it changed (the bucket
 * compares), so a watch on the bucket sees only news. Only the owner of a campaign's
 * partition reports it, so two processes counting at different moments do not make the
 * numbers go back and forth.
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
    if (!this.options.owns(tenant, name)) return false;
    this.lastAt.set(id, now);
    const report = await readCampaignStatus(this.db, tenant, name);
    return report ? putCampaignStatus(this.kv, report) : false;
  }
}
