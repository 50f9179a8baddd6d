import { createHmac } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headers as parleyHeaders, streams, subjects } from '../../src/contract/index.ts';
import { xCrcResponse } from '../../src/channels/index.ts';
import { channel, metricValue, queue } from '../support/parley.ts';
import { ProviderFake } from '../support/provider-fakes/provider-fake.ts';
import { waitFor } from '../support/wait-for.ts';
import { useChannels } from './harness.ts';
import { appleToken, newId, providerCases, type ProviderCase } from './provider-cases.ts';

const tenant = 'demo';
let fake: ProviderFake;
beforeAll(async () => {
  fake = await ProviderFake.start((call) => ({ status: 200, body: { path: call.path } }));
});
afterAll(() => fake.close());

const secretsOf = (c: ProviderCase) => {
  const block = Object.values(c.provider('http://x'))[0] as { secrets: Record<string, { name: string }> };
  return Object.values(block.secrets)[0]!.name;
};
const whatsapp = providerCases.find((c) => c.name === 'whatsapp')!;

const harness = useChannels(
  () => [
    queue(tenant, 'support'),
    queue('other', 'support'),
    ...providerCases.map((c) => channel(tenant, c.name, { type: c.type, queue: 'support', provider: c.provider(fake.url) })),
    // Another tenant's WhatsApp Channel, same name, its own app secret.
    channel('other', 'whatsapp', { type: 'whatsapp', queue: 'support', provider: whatsapp.provider(fake.url) }),
  ],
  () => ({
    [tenant]: Object.fromEntries(providerCases.map((c) => [secretsOf(c), c.secrets])),
    other: { 'whatsapp-secrets': { ...whatsapp.secrets, 'app-secret': 'the-other-tenant-app-secret' } },
  }),
  { bodyLimitBytes: 64 * 1024 },
);

async function inboundCount(): Promise<number> {
  const jsm = await jetstreamManager(harness().parley.nc);
  return (await jsm.streams.info(streams.inbound.name)).state.messages;
}

describe('webhook edges', () => {
  it('refuses a forged or missing signature for every provider with 401, publishes nothing and counts it', async () => {
    const before = await inboundCount();
    for (const c of providerCases) {
      const url = `${harness().baseUrl}/webhooks/${tenant}/${c.name}`;
      const { body, headers } = c.inbound(`in-${newId()}`, 'forged', new Date(), url);
      // One byte more after signing: the signature no longer covers the body.
      const forged = Buffer.concat([body, Buffer.from(' ')]);
      const auth: Record<string, string> = c.name === 'apple' ? { authorization: (await appleToken()).slice(0, -2) + 'AA' } : {};
      // The body changed after signing (Apple: the token's signature is broken).
      const tampered = await harness().post(`/webhooks/${tenant}/${c.name}`, c.name === 'apple' ? body : forged, { ...headers, ...auth });
      expect(tampered.status, `${c.name}: tampered`).toBe(401);
      const unsigned = Object.fromEntries(Object.entries(headers).filter(([k]) => k === 'content-type' || k === 'destination-id'));
      expect((await harness().post(`/webhooks/${tenant}/${c.name}`, body, unsigned)).status, `${c.name}: unsigned`).toBe(401);
    }
    expect(await inboundCount()).toBe(before);
    expect(await metricValue(harness().parley.registry, 'parley_channel_signature_failures_total')).toBe(providerCases.length * 2);
  });

  it('refuses a webhook signed for one tenant\'s Channel when it is posted to another tenant\'s', async () => {
    const before = await inboundCount();
    const { body, headers } = whatsapp.inbound(`in-${newId()}`, 'hello', new Date(), '');
    expect((await harness().post('/webhooks/other/whatsapp', body, headers)).status).toBe(401);
    expect((await harness().post('/webhooks/demo/whatsapp', body, headers)).status).toBe(200);
    expect(await inboundCount()).toBe(before + 1);
  });

  it('publishes a webhook the provider delivers twice once (its message id is the Nats-Msg-Id)', async () => {
    const before = await inboundCount();
    const { body, headers } = whatsapp.inbound(`wamid.${newId()}`, 'twice', new Date(), '');
    expect((await harness().post('/webhooks/demo/whatsapp', body, headers)).status).toBe(200);
    expect((await harness().post('/webhooks/demo/whatsapp', body, headers)).status).toBe(200);
    expect(await inboundCount()).toBe(before + 1);
    const stored = await waitFor(async () => {
      const rows = await harness().parley.store.db.selectFrom('messages').select('id').where('text', '=', 'twice').execute();
      return rows.length > 0 ? rows : undefined;
    });
    expect(stored).toHaveLength(1);
  });

  it('answers 200 to a signed payload it cannot map and dead-letters the raw bytes with the reason', async () => {
    const sub = harness().parley.nc.subscribe(subjects.deadLetter('channels'), { max: 1 });
    const body = Buffer.from(JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: { metadata: { phone_number_id: '999' } } }] }] }));
    const signature = `sha256=${createHmac('sha256', whatsapp.secrets['app-secret']!).update(body).digest('hex')}`;
    const before = await inboundCount();
    const answer = await harness().post('/webhooks/demo/whatsapp', body, { 'content-type': 'application/json', 'x-hub-signature-256': signature });
    expect(answer.status).toBe(200);
    for await (const msg of sub) {
      expect(Buffer.from(msg.data).equals(body)).toBe(true);
      expect(msg.headers?.get(parleyHeaders.deadLetterReason)).toBe('invalidEnvelope');
      expect(msg.headers?.get(parleyHeaders.deadLetterDetail)).toMatch(/phone_number_id/);
    }
    expect(await inboundCount()).toBe(before);
    expect(await metricValue(harness().parley.registry, 'parley_channel_webhooks_total', { outcome: 'unmappable' })).toBe(1);
  });

  it('answers 413 to a body over the limit', async () => {
    const big = Buffer.alloc(65 * 1024, 'a');
    expect((await harness().post('/webhooks/demo/whatsapp', big, { 'content-type': 'application/json' })).status).toBe(413);
  });

  it('answers 404 for a channel that does not exist or has no provider', async () => {
    expect((await harness().post('/webhooks/demo/nope', Buffer.from('{}'), { 'content-type': 'application/json' })).status).toBe(404);
    expect((await harness().post('/webhooks/Bad.Tenant/whatsapp', Buffer.from('{}'), { 'content-type': 'application/json' })).status).toBe(404);
  });

  it('answers Meta\'s verify handshake and X\'s CRC check on GET', async () => {
    const ok = await fetch(`${harness().baseUrl}/webhooks/demo/whatsapp?hub.mode=subscribe&hub.verify_token=wa-verify&hub.challenge=1158201444`);
    expect([ok.status, await ok.text()]).toEqual([200, '1158201444']);
    const wrong = await fetch(`${harness().baseUrl}/webhooks/demo/messenger?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1`);
    expect(wrong.status).toBe(403);
    const crc = await fetch(`${harness().baseUrl}/webhooks/demo/x?crc_token=abc123`);
    expect(await crc.json()).toEqual(xCrcResponse('abc123', 'x-consumer-secret'));
  });
});
