import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import type { Subscription } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelTransport } from '../../src/channels/index.ts';
import { channelDb } from '../../src/channel-service/index.ts';
import { encode, subjects, type DeliveryReceipt, type OutboundMessage } from '../../src/contract/index.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { channel, queue } from '../support/parley.ts';
import { answers } from '../support/provider-fakes/answers.ts';
import { ProviderFake } from '../support/provider-fakes/provider-fake.ts';
import { waitFor } from '../support/wait-for.ts';
import { useChannels } from './harness.ts';
import { newId, providerCases, type ProviderCase } from './provider-cases.ts';

const tenant = 'demo';
const hour = 3_600_000;
/** The channel rules' clock; webhooks are stamped with it too. */
const clock = { t: Date.now() };
const now = () => new Date(clock.t);

const byName = (name: string) => providerCases.find((c) => c.name === name)!;
const whatsapp = byName('whatsapp');
const line = byName('line');
const x = byName('x');
const twilio = byName('twilio');
const fakes: Record<string, ProviderFake> = {};
const webSent: OutboundMessage[] = [];
const webTransport: ChannelTransport = {
  types: ['web'],
  send: (message) => {
    webSent.push(message);
    return Promise.resolve({ kind: 'accepted', providerMessageId: `web-${message.id}` });
  },
};

beforeAll(async () => {
  for (const c of [whatsapp, line, x, twilio]) fakes[c.name] = await ProviderFake.start(() => c.accepted());
});
afterAll(async () => {
  for (const fake of Object.values(fakes)) await fake.close();
});

const secretName = (c: ProviderCase) => (Object.values((Object.values(c.provider('http://x'))[0] as { secrets: Record<string, { name: string }> }).secrets)[0]!).name;

const harness = useChannels(
  () => [
    queue(tenant, 'support'),
    ...[whatsapp, line, x, twilio].map((c) => channel(tenant, c.name, { type: c.type, queue: 'support', provider: c.provider(fakes[c.name]!.url), rateLimit: { messagesPerSecond: 1000 } })),
    channel(tenant, 'whatsapp-limited', { type: 'whatsapp', queue: 'support', provider: { whatsapp: { ...(whatsapp.provider(fakes.whatsapp!.url).whatsapp as object), phoneNumberId: '200000000000001', messagingLimitTier: '250' } } }),
    channel(tenant, 'web', { type: 'web', queue: 'support' }),
  ],
  () => ({ [tenant]: Object.fromEntries([whatsapp, line, x, twilio].map((c) => [secretName(c), c.secrets])) }),
  {
    now,
    transports: [webTransport],
    beforeSend: (message) => Promise.resolve(message.text?.includes('opted-out customer') ? { ok: false as const, code: 'RecipientOptedOut' as const, reason: 'suppressed by the test hook' } : undefined),
  },
);

let receipts: Subscription;
const seen: DeliveryReceipt[] = [];
beforeAll(() => {
  receipts = harness().parley.nc.subscribe(subjects.all.receipts, { callback: (_e, msg) => void seen.push(msg.json<DeliveryReceipt>()) });
});
afterAll(() => receipts.unsubscribe());

function receiptOf(messageId: string, status: DeliveryReceipt['status']): Promise<DeliveryReceipt> {
  return waitFor(() => seen.find((r) => r.messageId === messageId && r.status === status), { what: `${status} receipt of ${messageId}` });
}

async function send(channelName: string, to: { id: string; idType: 'phone' | 'opaque' | 'email' }, body: Partial<OutboundMessage>): Promise<string> {
  const id = randomUUID();
  const message = { version: 1, id, tenant, channel: channelName, conversationId: randomUUID(), to, timestamp: now().toISOString(), ...body };
  await jetstream(harness().parley.nc).publish(subjects.outbound(tenant, channelName), encode(message), { msgID: id });
  return id;
}

async function customerWrites(c: ProviderCase, channelName = c.name): Promise<void> {
  const url = `${harness().baseUrl}/webhooks/${tenant}/${channelName}`;
  const { body, headers } = c.inbound(`in-${newId()}`, 'hello', now(), url);
  expect((await harness().post(`/webhooks/${tenant}/${channelName}`, body, headers)).status).toBe(200);
}

const waCustomer = { id: whatsapp.customer, idType: 'phone' as const };

describe('channel rules in the sender', () => {
  it('WhatsApp: free-form replies inside the 24-hour window, refused with the reason after it, templates still allowed', async () => {
    const fake = fakes.whatsapp!;
    await customerWrites(whatsapp);
    clock.t += hour;
    const inside = await send('whatsapp', waCustomer, { text: 'inside the window' });
    await receiptOf(inside, 'sent');
    expect(fake.calls.at(-1)!.parsed).toMatchObject({ type: 'text', text: { body: 'inside the window' } });

    clock.t += 24 * hour;
    const calls = fake.calls.length;
    const outside = await send('whatsapp', waCustomer, { text: 'outside the window' });
    expect((await receiptOf(outside, 'failed')).reason).toMatch(/^OutsideWindow: The WhatsApp 24-hour customer-service window closed at/);
    expect(fake.calls.length).toBe(calls);

    const template = await send('whatsapp', waCustomer, { template: { name: 'order_update', language: 'en_US' } });
    await receiptOf(template, 'sent');
    expect(fake.calls.at(-1)!.parsed).toMatchObject({ type: 'template', template: { name: 'order_update', language: { code: 'en_US' } } });
  });

  it('WhatsApp: a template to a new customer above the messaging-limit tier is refused; one already reached is not', async () => {
    const db = channelDb(harness().parley.store.db);
    await db
      .insertInto('channel_reached')
      .values(Array.from({ length: 250 }, (_, i) => ({ account: 'whatsapp:200000000000001', recipient: `+1555000${String(i).padStart(4, '0')}`, reached_at: new Date(clock.t - hour) })))
      .execute();
    const refused = await send('whatsapp-limited', { id: '+15559990000', idType: 'phone' }, { template: { name: 'promo', language: 'en_US' } });
    expect((await receiptOf(refused, 'failed')).reason).toMatch(/^MessagingLimitReached: The WhatsApp messaging limit of 250 customers/);
    const again = await send('whatsapp-limited', { id: '+15550000007', idType: 'phone' }, { template: { name: 'promo', language: 'en_US' } });
    await receiptOf(again, 'sent');
  });

  it('WhatsApp: 429 is retried after Retry-After; a permanent error becomes a failed receipt with the mapped reason', async () => {
    const fake = fakes.whatsapp!;
    await customerWrites(whatsapp);
    fake.queue(answers.whatsapp.rateLimited(1));
    const start = fake.calls.length;
    const retried = await send('whatsapp', waCustomer, { text: 'retried' });
    await receiptOf(retried, 'sent');
    const [first, second] = fake.calls.slice(start);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);

    fake.queue(answers.whatsapp.reengagement());
    const refused = await send('whatsapp', waCustomer, { text: 'refused by WhatsApp' });
    expect((await receiptOf(refused, 'failed')).reason).toBe('OutsideWindow (whatsapp 131047)');
  });

  it('Twilio: 21610 (opted out) becomes a failed receipt; a beforeSend refusal sends nothing', async () => {
    const fake = fakes.twilio!;
    fake.queue(answers.twilio.optedOut());
    const optedOut = await send('twilio', { id: twilio.customer, idType: 'phone' }, { text: 'hello' });
    expect((await receiptOf(optedOut, 'failed')).reason).toBe('RecipientOptedOut (twilio 21610)');
    const calls = fake.calls.length;
    const suppressed = await send('twilio', { id: twilio.customer, idType: 'phone' }, { text: 'to an opted-out customer' });
    expect((await receiptOf(suppressed, 'failed')).reason).toBe('RecipientOptedOut: suppressed by the test hook');
    expect(fake.calls.length).toBe(calls);
  });

  it('LINE: the reply token while it is valid, then a push; an expired token falls back to push', async () => {
    const fake = fakes.line!;
    const to = { id: line.customer, idType: 'opaque' as const };
    await customerWrites(line);
    clock.t += 5_000;
    const first = await send('line', to, { text: 'first answer' });
    await receiptOf(first, 'sent');
    expect(fake.calls.at(-1)!.path).toBe('/v2/bot/message/reply');
    const second = await send('line', to, { text: 'second answer' });
    await receiptOf(second, 'sent');
    expect(fake.calls.at(-1)!.path).toBe('/v2/bot/message/push');

    await customerWrites(line);
    clock.t += 60_000;
    const late = await send('line', to, { text: 'a minute later' });
    await receiptOf(late, 'sent');
    expect(fake.calls.at(-1)!.path).toBe('/v2/bot/message/push');
    expect(fake.calls.at(-1)!.parsed).toMatchObject({ to: line.customer, messages: [{ type: 'text', text: 'a minute later' }] });

    // A token LINE refuses (expired sooner than expected) falls back to a push at once.
    await customerWrites(line);
    fake.queue(answers.line.invalidReplyToken());
    const start = fake.calls.length;
    const refusedToken = await send('line', to, { text: 'token refused' });
    await receiptOf(refusedToken, 'sent');
    expect(fake.calls.slice(start).map((c) => c.path)).toEqual(['/v2/bot/message/reply', '/v2/bot/message/push']);
  });

  it('web (a ChannelTransport): sent through the transport with the same receipts', async () => {
    const id = await send('web', { id: 'visitor-1', idType: 'opaque' }, { text: 'hi from the web' });
    expect((await receiptOf(id, 'sent')).platformMessageId).toBe(`web-${id}`);
    expect(webSent.map((m) => m.id)).toContain(id);
  });

  it('X: a sixth reply to one customer message is refused, and the agent sees why', async () => {
    const agent = new AgentDriver(harness().parley.nc, tenant, 'xavier');
    await agent.configure([], { message: 5 });
    await agent.presence('available');
    try {
      await customerWrites(x);
      const offer = await agent.next('offer.created', (e) => e.channel === 'x');
      expect((await agent.command({ type: 'offer.accept', offerId: offer.offerId })).ok).toBe(true);
      for (let i = 1; i <= 6; i += 1) expect((await agent.reply(offer.conversationId, `reply ${i}`)).ok).toBe(true);
      const rows = await waitFor(async () => {
        const found = await harness().parley.store.db.selectFrom('messages').select(['text', 'delivery_status', 'delivery_reason']).where('conversation_id', '=', offer.conversationId).where('direction', '=', 'outbound').orderBy('sent_at').execute();
        return found.length === 6 && found.every((r) => r.delivery_status) ? found : undefined;
      });
      expect(rows.slice(0, 5).map((r) => r.delivery_status)).toEqual(['sent', 'sent', 'sent', 'sent', 'sent']);
      expect(rows[5]).toMatchObject({ text: 'reply 6', delivery_status: 'failed' });
      expect(rows[5]!.delivery_reason).toMatch(/^ReplyLimitReached: X allows at most 5 replies to each customer message/);
      expect(fakes.x!.calls).toHaveLength(5);
    } finally {
      agent.stop();
    }
  });
});
