import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTHER_TENANT, TENANT, startFixture, type GatewayFixture } from './fixture.ts';
import { seedAssignment, seedConversation, seedCustomer } from './seed.ts';

const yesNo = [
  { label: 'Yes', points: 1 },
  { label: 'No', points: 0 },
];
const form = {
  name: 'Messaging quality',
  groups: [
    { name: 'Greeting', weight: 40, questions: [{ id: 'greeted', text: 'Greeted by name?', answers: yesNo, critical: true }, { id: 'tone', text: 'Friendly?', answers: yesNo }] },
    { name: 'Resolution', weight: 20, questions: [{ id: 'resolved', text: 'Resolved?', answers: yesNo }] },
  ],
};

describe('quality evaluation routes', () => {
  let fx: GatewayFixture;
  let closed: string;
  let open: string;
  let parked: string;
  let foreign: string;

  const call = (method: string, path: string, token: string, body?: unknown) =>
    fetch(`${fx.gateway.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const supervisor = () => fx.token('sam', 'supervisor');

  beforeAll(async () => {
    fx = await startFixture();
    const db = fx.store.db;
    const customer = await seedCustomer(db, TENANT);
    closed = await seedConversation(db, { tenant: TENANT, customerId: customer, state: 'closed', closedAt: '2026-11-20T10:00:00Z' });
    open = await seedConversation(db, { tenant: TENANT, customerId: customer, agentId: 'alice' });
    parked = await seedConversation(db, { tenant: TENANT, customerId: customer, agentId: 'alice', state: 'parked' });
    for (const conversation of [closed, open, parked]) {
      const id = await seedAssignment(db, { tenant: TENANT, conversationId: conversation, agentId: 'alice' });
      await db.updateTable('assignments').set({ answered_at: '2026-11-20T09:01:00Z' }).where('id', '=', id).execute();
    }
    foreign = await seedConversation(db, { tenant: OTHER_TENANT, customerId: await seedCustomer(db, OTHER_TENANT), state: 'closed' });
  });

  afterAll(async () => {
    await fx?.stop();
  });

  it('lets a supervisor create a form and score a closed conversation, and the agent report shows the score', async () => {
    const created = await call('POST', '/v1/quality/forms', supervisor(), form);
    expect(created.status).toBe(201);
    const { id: formId } = (await created.json()) as { id: string };

    const scored = await call('POST', `/v1/conversations/${closed}/evaluations`, supervisor(), { formId, answers: { greeted: 0, tone: 1, resolved: 0 }, comment: 'warm' });
    expect(scored.status).toBe(201);
    expect(await scored.json()).toMatchObject({ agentId: 'alice', evaluator: 'sam', score: 60, criticalScore: 100 });

    const now = new Date();
    const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const report = (await (
      await call('GET', `/v1/reports/agents?from=${day.toISOString()}&to=${new Date(day.getTime() + 86_400_000).toISOString()}&granularity=total`, fx.token('alice', 'agent'))
    ).json()) as { rows: { agent: string; evaluations: number; averageScore: number }[] };
    expect(report.rows).toMatchObject([{ agent: 'alice', evaluations: 1, averageScore: 60 }]);

    // The agent reads its own evaluations; another agent reads none of them.
    const own = (await (await call('GET', `/v1/conversations/${closed}/evaluations`, fx.token('alice', 'agent'))).json()) as { evaluations: unknown[] };
    expect(own.evaluations).toHaveLength(1);
    const other = (await (await call('GET', `/v1/conversations/${closed}/evaluations`, fx.token('bob', 'agent'))).json()) as { evaluations: unknown[] };
    expect(other.evaluations).toHaveLength(0);
  });

  it('refuses what cannot be evaluated, each with its own problem', async () => {
    const { id: formId } = (await (await call('POST', '/v1/quality/forms', supervisor(), form)).json()) as { id: string };
    const answers = { greeted: 0, tone: 0, resolved: 0 };
    const problem = async (res: Response) => ({ status: res.status, type: ((await res.json()) as { type: string }).type });
    expect(await problem(await call('POST', `/v1/conversations/${open}/evaluations`, supervisor(), { formId, answers }))).toEqual({ status: 409, type: 'conversationOpen' });
    // Wrapped up (parked, waiting for the customer's possible answer): the agent's work is done.
    expect((await call('POST', `/v1/conversations/${parked}/evaluations`, supervisor(), { formId, answers })).status).toBe(201);
    expect(await problem(await call('POST', `/v1/conversations/${closed}/evaluations`, supervisor(), { formId, answers, agentId: 'bob' }))).toEqual({
      status: 422,
      type: 'agentNotOnConversation',
    });
    expect(await problem(await call('POST', `/v1/conversations/${closed}/evaluations`, supervisor(), { formId, answers: { greeted: 0 } }))).toEqual({
      status: 400,
      type: 'invalidEnvelope',
    });
    expect((await call('DELETE', `/v1/quality/forms/${formId}`, supervisor())).status).toBe(200);
    expect(await problem(await call('POST', `/v1/conversations/${closed}/evaluations`, supervisor(), { formId, answers }))).toEqual({ status: 409, type: 'formArchived' });
    expect(await problem(await call('POST', '/v1/quality/forms', supervisor(), { name: 'empty', groups: [] }))).toEqual({ status: 400, type: 'invalidEnvelope' });
  });

  it('keeps forms and conversations of another tenant out of reach, and agents out of form management', async () => {
    const { id: formId } = (await (await call('POST', '/v1/quality/forms', supervisor(), form)).json()) as { id: string };
    const globex = fx.token('gina', 'supervisor', OTHER_TENANT);
    expect(((await (await call('GET', '/v1/quality/forms', globex)).json()) as { forms: unknown[] }).forms).toEqual([]);
    expect((await call('DELETE', `/v1/quality/forms/${formId}`, globex)).status).toBe(404);
    // Tenant A's form cannot score tenant B's conversation, nor B's form A's.
    expect((await call('POST', `/v1/conversations/${foreign}/evaluations`, supervisor(), { formId, answers: { greeted: 0, tone: 0, resolved: 0 } })).status).toBe(404);
    expect((await call('POST', `/v1/conversations/${closed}/evaluations`, globex, { formId, answers: { greeted: 0, tone: 0, resolved: 0 } })).status).toBe(404);
    expect(((await (await call('GET', `/v1/conversations/${closed}/evaluations`, globex)).json()) as { evaluations: unknown[] }).evaluations).toEqual([]);
    const agent = fx.token('alice', 'agent');
    expect((await call('POST', '/v1/quality/forms', agent, form)).status).toBe(403);
    expect((await call('GET', '/v1/quality/forms', agent)).status).toBe(403);
    expect((await call('POST', `/v1/conversations/${closed}/evaluations`, agent, { formId, answers: {} })).status).toBe(403);
  });
});
