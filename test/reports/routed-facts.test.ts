import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { agentReport, foldReportEvents, queueReport, ReportQuery, skillsReport, wrapUpReport } from '../../src/reports/index.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { conversationOfPhone } from '../support/awaits.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { channel, queue, useParley } from '../support/parley.ts';
import { waitFor } from '../support/services.ts';

const tenant = 'acme';

/** The triggers see what the router really writes: a routed, transferred and wrapped-up conversation. */
describe('report facts from real routing', () => {
  const parley = useParley([
    channel(tenant, 'sms', { type: 'sms', queue: 'sales' }),
    queue(tenant, 'sales'),
    queue(tenant, 'billing', { skills: ['invoices'], wrapUp: { codes: [{ code: 'resolved', label: 'Resolved' }], afterWork: '300ms' } }),
  ]);

  it('counts offered, answered, transferred, abandoned, handled, after-work and skills as the router commits them', async () => {
    const seller = new AgentDriver(parley().nc, tenant, 'seller');
    await seller.configure([], { sms: 2 });
    await seller.presence('available');
    await new CustomerDriver(parley().nc, tenant, 'sms', { id: '+33611112001', idType: 'phone' }).say('hello');
    const { id } = await conversationOfPhone(parley().store.db, '+33611112001');
    const offer = await seller.next('offer.created', (e) => e.conversationId === id);
    expect((await seller.command({ type: 'offer.accept', offerId: offer.offerId })).ok).toBe(true);
    // Away, the seller is not offered the conversation again: the biller is.
    await seller.presence('away');
    expect((await seller.command({ type: 'conversation.transfer', conversationId: id, to: { queue: 'billing' } })).ok).toBe(true);
    seller.stop();

    const biller = new AgentDriver(parley().nc, tenant, 'biller');
    await biller.configure(['invoices'], { sms: 1 });
    await biller.presence('available');
    const transferred = await biller.next('offer.created', (e) => e.conversationId === id);
    expect((await biller.command({ type: 'offer.accept', offerId: transferred.offerId })).ok).toBe(true);
    expect((await biller.command({ type: 'conversation.close', conversationId: id, wrapUpCode: 'resolved' })).ok).toBe(true);
    await waitFor(
      async () => (await parley().store.db.selectFrom('assignments').select('state').where('id', '=', transferred.offerId).executeTakeFirstOrThrow()).state === 'ended' || undefined,
      { what: 'the assignment to end' },
    );
    // The after-work timer fires and the agent actor consumes it: the after-work fact.
    await waitFor(
      async () => (await parley().store.db.selectFrom('timers').select('id').where('actor_id', '=', 'biller').where('name', 'like', 'after-work:%').executeTakeFirst()) === undefined || undefined,
      { what: 'the after-work to end' },
    );
    biller.stop();

    const now = Date.now();
    const q = ReportQuery.parse({
      from: new Date(Math.floor(now / 900_000) * 900_000 - 3_600_000).toISOString(),
      to: new Date(Math.ceil(now / 900_000) * 900_000 + 900_000).toISOString(),
      granularity: 'total',
    });
    const { rows: afterWork } = await sql<{ seconds: number }>`SELECT seconds FROM report_events WHERE kind = 'afterWork'`.execute(parley().store.db);
    while ((await foldReportEvents(parley().store.db, 5_000, (t, queue) => parley().config.queue(t, queue)?.skills)).length > 0);
    const queues = Object.fromEntries((await queueReport(parley().store.db, tenant, q)).map((r) => [r.queue, r]));
    expect(queues.sales).toMatchObject({ offered: 1, answered: 1, transferred: 1, abandoned: 0, handled: 1 });
    expect(queues.billing).toMatchObject({ offered: 1, answered: 1, transferred: 0, abandoned: 0, handled: 1 });
    const agents = Object.fromEntries((await agentReport(parley().store.db, tenant, q)).map((r) => [r.agent, r]));
    expect(agents.seller).toMatchObject({ offers: 1, answered: 1, handled: 1, transferred: 1 });
    expect(agents.biller).toMatchObject({ offers: 1, answered: 1, handled: 1, transferred: 0 });
    expect((await wrapUpReport(parley().store.db, tenant, q)).map((r) => [r.wrapUpCode, r.handled])).toEqual([['resolved', 1]]);
    // After-work: from the end of the assignment to the timer's consumption, at least the queue's 300 ms.
    expect(afterWork).toHaveLength(1);
    expect(afterWork[0]!.seconds).toBeGreaterThanOrEqual(0.3);
    expect(queues.billing!.averageAfterWorkSeconds).toBe(Math.round(afterWork[0]!.seconds * 100) / 100);
    expect(agents.biller!.averageAfterWorkSeconds).toBe(queues.billing!.averageAfterWorkSeconds);
    expect(queues.sales!.averageAfterWorkSeconds).toBeNull();
    // The billing queue's skill: the transferred entry into it, answered and handled there.
    expect(await skillsReport(parley().store.db, tenant, q)).toMatchObject([{ skill: 'invoices', offered: 1, answered: 1, abandoned: 0, handled: 1 }]);
  });
});
