import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentDriver } from '../support/agent-driver.ts';
import { channel, queue } from '../support/parley.ts';
import { ProviderFake, type FakeAnswer } from '../support/provider-fakes/provider-fake.ts';
import { waitFor } from '../support/wait-for.ts';
import { useChannels } from './harness.ts';
import { appleToken, newId, providerCases, type ProviderCase } from './provider-cases.ts';

const tenant = 'demo';
const fakes = new Map<string, { fake: ProviderFake; given: FakeAnswer[] }>();

beforeAll(async () => {
  for (const c of providerCases) {
    const given: FakeAnswer[] = [];
    const fake = await ProviderFake.start(() => {
      const answer = c.accepted();
      given.push(answer);
      return answer;
    });
    fakes.set(c.name, { fake, given });
  }
});
afterAll(async () => {
  for (const { fake } of fakes.values()) await fake.close();
});

const harness = useChannels(
  () => [
    queue(tenant, 'support'),
    ...providerCases.map((c) => channel(tenant, c.name, { type: c.type, queue: 'support', provider: c.provider(fakes.get(c.name)!.fake.url), rateLimit: { messagesPerSecond: 50 } })),
  ],
  () => ({ [tenant]: Object.fromEntries(providerCases.map((c) => [`${secretName(c)}-secrets`, c.secrets])) }),
);

/** The Secret name a case's block refers to. */
function secretName(c: ProviderCase): string {
  const block = Object.values(c.provider('http://x'))[0] as { secrets: Record<string, { name: string }> };
  return Object.values(block.secrets)[0]!.name.replace(/-secrets$/, '');
}

async function postWebhook(c: ProviderCase, build: (url: string) => { body: Buffer; headers: Record<string, string> }, url = `${harness().baseUrl}/webhooks/${tenant}/${c.name}`): Promise<Response> {
  const { body, headers } = build(url);
  const auth: Record<string, string> = c.name === 'apple' ? { authorization: await appleToken() } : {};
  return harness().post(url.slice(harness().baseUrl.length), body, { ...headers, ...auth });
}

async function outboundRow(conversationId: string) {
  return waitFor(() => harness().parley.store.db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).where('direction', '=', 'outbound').executeTakeFirst(), { what: 'the reply stored' });
}

describe('every provider, end to end: signed webhook → agent → reply through the provider API → status → receipt stored', () => {
  let agent: AgentDriver;
  beforeAll(async () => {
    agent = new AgentDriver(harness().parley.nc, tenant, 'alice');
    await agent.configure([], { message: 20, sms: 20 });
    await agent.presence('available');
  });
  afterAll(() => agent.stop());

  for (const c of providerCases) {
    it(c.name, async () => {
      const { fake, given } = fakes.get(c.name)!;
      const text = `Hello from ${c.name}`;
      const answer = await postWebhook(c, (url) => c.inbound(`in-${newId()}`, text, new Date(), url));
      expect(answer.status).toBe(200);

      const offer = await agent.next('offer.created', (e) => e.channel === c.name);
      expect((await agent.command({ type: 'offer.accept', offerId: offer.offerId })).ok).toBe(true);
      const reply = `Reply via ${c.name}`;
      expect((await agent.reply(offer.conversationId, reply)).ok).toBe(true);

      const [call] = await fake.received(1);
      expect(c.textOf(call!)).toBe(reply);
      const stored = await outboundRow(offer.conversationId);
      await waitFor(async () => ((await outboundRow(offer.conversationId)).delivery_status === 'sent' ? true : undefined), { what: `${c.name}: sent receipt stored` });

      if (c.status) {
        const providerId = c.providerIdOf(given[0]!, call!) ?? stored.id;
        const statusUrl = c.name === 'twilio' ? (call!.parsed as { StatusCallback: string }).StatusCallback : undefined;
        const status = await postWebhook(c, (url) => c.status!(providerId, stored.id, new Date(), url), statusUrl);
        expect(status.status).toBe(200);
        await waitFor(async () => ((await outboundRow(offer.conversationId)).delivery_status === c.statusReported ? true : undefined), { what: `${c.name}: ${c.statusReported} receipt stored` });
      }
    });
  }
});
