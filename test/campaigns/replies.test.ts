import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignDb, campaignProgress, exportCampaignOutcomes, readAttemptCounts, startCampaignService, type CampaignService } from '../../src/campaigns/index.ts';
import type { Resource } from '../../src/config/index.ts';
import { importContacts, saveContactList } from '../../src/contacts/index.ts';
import { findConversation } from '../../src/gateway/queries.ts';
import { createLogger } from '../../src/observability/index.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { queue, startParley, type RunningParley } from '../support/parley.ts';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';
import { FakeProvider, campaignResources, daytimeClock } from './support.ts';

const tenant = 'replies';
const promoPhone = '+12125553000';
const quizPhone = '+12125554000';

/** `promo` routes replies to the sales queue; `quiz` answers them by its keyword rules. */
function resources(): Resource[] {
  const promo = campaignResources({ tenant, campaign: 'promo', listId: 'promo-list', replies: { queue: 'sales', window: '1h' } });
  const quiz = campaignResources({
    tenant,
    campaign: 'quiz',
    listId: 'quiz-list',
    withChannel: false,
    replies: { window: '1h', noReplyClose: '10m', keywords: [{ match: ['price', 'prices'], answer: 'From $9 a month.' }] },
  });
  return [...promo, ...quiz, queue(tenant, 'support'), queue(tenant, 'sales')];
}

/**
 * Replies to a campaign, through a router and the campaign service on real NATS and
 * PostgreSQL, with a fake provider as the far end: a reply joins the campaign's
 * conversation, goes to its queue or is answered by its keyword rules, and is counted.
 */
describe('replies to a campaign', () => {
  let services: TestServices;
  let parley: RunningParley;
  let provider: FakeProvider;
  let campaigns: CampaignService;

  beforeAll(async () => {
    services = await startTestServices();
    parley = await startParley(services.natsUrl, services.databaseUrl, resources());
    provider = await new FakeProvider(parley.nc).start();
    for (const [listId, phone] of [['promo-list', promoPhone], ['quiz-list', quizPhone]] as const) {
      await saveContactList(parley.store.db, { tenant, id: listId, name: listId });
      await importContacts(Readable.from([`id,phone,first_name\nc0,${phone},Ada\n`]), { tenant, listId, database: parley.store.db });
    }
    campaigns = await startCampaignService({ nc: parley.nc, db: parley.store.db, config: parley.config, host: parley.router.campaigns, now: daytimeClock(), scanMs: 100, tickMs: 50, logger: createLogger({ component: 'campaigns-test' }, { level: 'warn' }) });
    await waitFor(() => (provider.to(promoPhone).length === 1 && provider.to(quizPhone).length === 1 ? true : undefined), { what: 'both campaign messages sent' });
  });

  afterAll(async () => {
    await campaigns?.stop();
    await provider?.stop();
    await parley?.stop();
    await services?.stop();
  });

  const attemptOf = (campaign: string) =>
    waitFor(async () => {
      const row = await campaignDb(parley.store.db).selectFrom('campaign_attempts').selectAll().where('tenant', '=', tenant).where('campaign', '=', campaign).executeTakeFirst();
      return row && row.status !== 'sending' ? row : undefined;
    }, { what: `the ${campaign} attempt published` });
  const conversation = (id: string) =>
    waitFor(() => parley.store.db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst(), { what: `conversation ${id}` });

  it('joins the campaign conversation, goes to the campaign queue, shows the campaign and counts the reply', async () => {
    const attempt = await attemptOf('promo');
    await new CustomerDriver(parley.nc, tenant, 'sms', { id: promoPhone, idType: 'phone' }).say('Yes, tell me more');
    const row = await conversation(attempt.conversation_id);
    expect(row).toMatchObject({ queue: 'sales', channel: 'sms' });
    expect((row.snapshot as { context: { campaign?: string } }).context.campaign).toBe('promo');
    expect(await findConversation(parley.store.db, tenant, row.id)).toMatchObject({ campaign: 'promo', queue: 'sales' });
    const counted = await campaignDb(parley.store.db).selectFrom('campaign_attempts').select(['replied_at', 'reply_conversation_id']).where('message_id', '=', attempt.message_id).executeTakeFirstOrThrow();
    expect(counted.replied_at).not.toBeNull();
    expect(counted.reply_conversation_id).toBe(row.id);
    expect(await campaignProgress(campaignDb(parley.store.db), tenant, 'promo', 'promo-list')).toMatchObject({ sent: 1, replied: 1 });
    // The report's responses: the recipient wrote on the campaign's channel after the message (found by the phone the router linked).
    const answered = await campaignDb(parley.store.db).selectFrom('campaign_attempts').select('first_reply_at').where('message_id', '=', attempt.message_id).executeTakeFirstOrThrow();
    expect(answered.first_reply_at).not.toBeNull();
    expect((await readAttemptCounts(parley.store.db, tenant, 'promo')).reduce((n, c) => n + c.answered, 0)).toBe(1);
    const [exported] = parse<Record<string, string>>(await text(exportCampaignOutcomes(parley.store.db, tenant, 'promo', 'promo-list')), { columns: true });
    expect(exported).toMatchObject({ id: 'c0', conversation_id: attempt.conversation_id, replied_at: counted.replied_at?.toISOString() });
  });

  it('without a queue, answers a keyword reply on the campaign conversation, arms the no-reply close, and hands anything else to a person', async () => {
    const attempt = await attemptOf('quiz');
    const customer = new CustomerDriver(parley.nc, tenant, 'sms', { id: quizPhone, idType: 'phone' });
    const sent = await customer.say('  PRICE ');
    // The campaign message shares the conversation: the answer is the router's.
    const answers = () => provider.to(quizPhone).filter((m) => m.conversationId === attempt.conversation_id && m.origin?.kind !== 'campaign');
    const [answer] = await waitFor(() => (answers().length > 0 ? answers() : undefined), { what: 'the keyword answer' });
    expect(answer?.text).toBe('From $9 a month.');
    const row = await conversation(attempt.conversation_id);
    expect(row.state).toBe('bot');
    const timer = await parley.store.db.selectFrom('timers').selectAll().where('actor_id', '=', row.id).where('name', '=', 'threading-window').executeTakeFirstOrThrow();
    expect(timer.due_at.getTime() - Date.parse(sent.timestamp)).toBeGreaterThanOrEqual(10 * 60_000 - 5_000);
    expect(timer.due_at.getTime() - Date.parse(sent.timestamp)).toBeLessThanOrEqual(10 * 60_000 + 5_000);

    await customer.say('can I call someone?');
    const handedOver = await waitFor(async () => {
      const now = await conversation(row.id);
      return now.state !== 'bot' ? now : undefined;
    }, { what: 'the hand-off to a person' });
    expect(handedOver).toMatchObject({ state: 'queued', queue: 'support' });
    expect(answers()).toHaveLength(1);
  });

  it('leaves a message from an address no campaign reached alone', async () => {
    await new CustomerDriver(parley.nc, tenant, 'sms', { id: '+12125559999', idType: 'phone' }).say('hello');
    const row = await waitFor(
      () => parley.store.db.selectFrom('conversations').selectAll().where('tenant', '=', tenant).where('external_id', 'like', '%9999%').executeTakeFirst(),
      { what: 'the stranger conversation' },
    );
    expect(row.queue).toBe('support');
    expect(await findConversation(parley.store.db, tenant, row.id)).toMatchObject({ campaign: null });
  });
});
