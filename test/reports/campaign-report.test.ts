import { beforeAll, describe, expect, it } from 'vitest';
import { campaignReport, CampaignReportQuery } from '../../src/reports/index.ts';
import { useMigratedStore } from '../support/migrated-store.ts';
import { writeCampaignHistory, type CampaignHistory } from '../support/campaign-history.ts';

const ctx = useMigratedStore();
const startedAt = new Date('2026-12-01T09:00:00Z');
let spring: CampaignHistory;
let autumn: CampaignHistory;

beforeAll(async () => {
  spring = await writeCampaignHistory(ctx.store.db, { tenant: 'acme', campaign: 'spring', contacts: 400, seed: 3, startedAt, replyWindowMs: 72 * 3_600_000 });
  autumn = await writeCampaignHistory(ctx.store.db, { tenant: 'acme', campaign: 'autumn', contacts: 150, seed: 4, startedAt, replyWindowMs: 3_600_000 });
  await writeCampaignHistory(ctx.store.db, { tenant: 'globex', campaign: 'spring', contacts: 50, seed: 5, startedAt, replyWindowMs: 72 * 3_600_000 });
}, 60_000);

describe('campaign results', () => {
  it('counts contacts, outcomes, skips by reason, opt-outs after the message and replies inside the reply window', async () => {
    const rows = await campaignReport(ctx.store.db, 'acme', CampaignReportQuery.parse({}), (name) => (name === 'autumn' ? 3_600_000 : undefined));
    expect(rows.map((r) => r.campaign)).toEqual(['autumn', 'spring']);
    for (const [row, e] of [
      [rows[1]!, spring],
      [rows[0]!, autumn],
    ] as const) {
      const skipped = Object.values(e.skippedByReason).reduce((a, b) => a + b, 0);
      expect(row).toMatchObject({
        state: 'completed',
        startedAt: startedAt.toISOString(),
        contacts: e.contacts,
        attempted: e.attempted,
        sent: e.sent,
        delivered: e.delivered,
        failed: e.failed,
        skipped,
        skippedByReason: e.skippedByReason,
        waiting: e.waiting,
        optOuts: e.optOuts,
        replies: e.replies,
        replyRate: Math.round((e.replies / e.sent) * 10_000) / 100,
      });
      expect(e.optOuts * e.replies).toBeGreaterThan(0);
    }
  });

  it('reads only the asked tenant and campaigns', async () => {
    const rows = await campaignReport(ctx.store.db, 'globex', CampaignReportQuery.parse({ keys: 'spring,autumn' }));
    expect(rows.map((r) => [r.campaign, r.contacts])).toEqual([['spring', 50]]);
  });
});
