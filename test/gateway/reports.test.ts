import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { foldReportEvents } from '../../src/reports/index.ts';
import { planHistory, writeHistory } from '../support/report-history.ts';
import { writeCampaignHistory } from '../support/campaign-history.ts';
import { OTHER_TENANT, TENANT, startFixture, type GatewayFixture } from './fixture.ts';

const period = 'from=2026-11-30T00:00:00Z&to=2026-12-01T00:00:00Z';

describe('report routes', () => {
  let fx: GatewayFixture;
  const get = (path: string, token: string) => fetch(`${fx.gateway.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    fx = await startFixture();
    const history = (seed: number, agents: string[]) =>
      planHistory({ seed, conversations: 20, from: new Date('2026-11-30T08:00:00Z'), hours: 8, queues: ['sales'], agents, wrapUpCodes: ['resolved'], skills: ['vip'] });
    await writeHistory(fx.store.db, TENANT, history(1, ['alice', 'bob']));
    await writeHistory(fx.store.db, OTHER_TENANT, history(2, ['zoe']));
    while ((await foldReportEvents(fx.store.db)).length > 0);
    const campaign = (tenant: string, name: string, seed: number) =>
      writeCampaignHistory(fx.store.db, { tenant, campaign: name, contacts: 30, seed, startedAt: new Date('2026-11-30T09:00:00Z'), replyWindowMs: 3_600_000 });
    await campaign(TENANT, 'spring', 11);
    await campaign(OTHER_TENANT, 'secret-sale', 12);
  }, 60_000);

  afterAll(async () => {
    await fx?.stop();
  });

  it('gives a supervisor the queue, agent and wrap-up reports of its own tenant only', async () => {
    const supervisor = fx.token('sam', 'supervisor');
    const queues = (await (await get(`/v1/reports/queues?${period}&granularity=total`, supervisor)).json()) as { rows: { queue: string; offered: number }[] };
    expect(queues.rows.map((r) => r.queue)).toEqual(['sales']);
    expect(queues.rows[0]!.offered).toBeGreaterThanOrEqual(20);
    const agents = (await (await get(`/v1/reports/agents?${period}&granularity=total`, supervisor)).json()) as { rows: { agent: string }[] };
    expect(agents.rows.map((r) => r.agent).sort()).toEqual(['alice', 'bob']);
    const other = (await (await get(`/v1/reports/agents?${period}&granularity=total`, fx.token('gina', 'supervisor', OTHER_TENANT))).json()) as {
      rows: { agent: string }[];
    };
    expect(other.rows.map((r) => r.agent)).toEqual(['zoe']);
    const codes = await get(`/v1/reports/wrap-up?${period}&granularity=total`, fx.token('root', 'admin'));
    expect(codes.status).toBe(200);
  });

  it('lets an agent read its own agent report, and nothing else', async () => {
    const alice = fx.token('alice', 'agent');
    const own = (await (await get(`/v1/reports/agents?${period}&granularity=total`, alice)).json()) as { rows: { agent: string }[] };
    expect(own.rows.map((r) => r.agent)).toEqual(['alice']);
    expect((await get(`/v1/reports/agents?${period}&keys=bob`, alice)).status).toBe(403);
    expect((await get(`/v1/reports/queues?${period}`, alice)).status).toBe(403);
    expect((await get(`/v1/reports/wrap-up?${period}`, alice)).status).toBe(403);
    expect((await get(`/v1/reports/skills?${period}`, alice)).status).toBe(403);
    expect((await get('/v1/reports/campaigns', alice)).status).toBe(403);
    expect((await fetch(`${fx.gateway.url}/v1/reports/campaigns`)).status).toBe(401);
    expect((await fetch(`${fx.gateway.url}/v1/reports/queues?${period}`)).status).toBe(401);
  });

  it('exports CSV with a header row and one row per period', async () => {
    const res = await get(`/v1/reports/queues?${period}&granularity=hour&timeZone=Europe/Paris&format=csv`, fx.token('sam', 'supervisor'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="queues-2026-11-30-2026-12-01.csv"');
    const rows = parse<Record<string, string>>(await res.text(), { columns: true });
    expect(rows.length).toBeGreaterThan(1);
    expect(rows[0]).toHaveProperty('serviceLevel');
    expect(rows.every((r) => r.queue === 'sales' && r.intervalLocal!.endsWith(':00'))).toBe(true);
  });

  it('exports the skills and campaign reports as CSV', async () => {
    const skills = parse<Record<string, string>>(await (await get(`/v1/reports/skills?${period}&granularity=total&format=csv`, fx.token('sam', 'supervisor'))).text(), { columns: true });
    expect(skills.map((r) => r.skill)).toEqual(['vip']);
    expect(Object.keys(skills[0]!)).toEqual(expect.arrayContaining(['offered', 'answered', 'abandoned', 'averageSpeedOfAnswerSeconds', 'averageHandleSeconds', 'averageAfterWorkSeconds', 'serviceLevel']));
    const res = await get('/v1/reports/campaigns?format=csv', fx.token('sam', 'supervisor'));
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="campaigns.csv"');
    const campaigns = parse<Record<string, string>>(await res.text(), { columns: true });
    expect(campaigns.map((r) => r.campaign)).toEqual(['spring']);
    expect(campaigns[0]!.skippedByReason).toMatch(/^([a-z-]+=\d+;?)*$/);
  });

  describe('tenant isolation', () => {
    it('a supervisor reads the skills and campaign reports of its own tenant only', async () => {
      const skills = async (token: string) => ((await (await get(`/v1/reports/skills?${period}&granularity=total`, token)).json()) as { rows: { skill: string; offered: number }[] }).rows;
      const campaigns = async (token: string, query = '') => ((await (await get(`/v1/reports/campaigns${query}`, token)).json()) as { rows: { campaign: string }[] }).rows;
      const acme = fx.token('sam', 'supervisor');
      const globex = fx.token('gina', 'supervisor', OTHER_TENANT);
      const [own, other] = [await skills(acme), await skills(globex)];
      expect(own.map((r) => r.skill)).toEqual(['vip']);
      expect(other.map((r) => r.skill)).toEqual(['vip']);
      expect(own[0]!.offered).not.toBe(other[0]!.offered);
      expect((await campaigns(acme)).map((r) => r.campaign)).toEqual(['spring']);
      // Another tenant's campaign, even named, is not there.
      expect(await campaigns(acme, '?keys=secret-sale')).toEqual([]);
      expect((await campaigns(fx.token('root', 'admin', OTHER_TENANT))).map((r) => r.campaign)).toEqual(['secret-sale']);
    });
  });

  it('answers 400 naming the field for a bad period', async () => {
    const res = await get('/v1/reports/queues?from=2026-11-30T00:07:00Z&to=2026-12-01T00:00:00Z', fx.token('sam', 'supervisor'));
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('15-minute');
  });
});
