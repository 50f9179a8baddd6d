import { SignJWT, jwtVerify } from 'jose';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../src/contract/index.ts';
import { appleProvider, UnmappablePayloadError } from '../../src/channels/index.ts';
import { fixture, target } from './fixtures.ts';

const secret = Buffer.from('apple-msp-secret-of-32-bytes-len').toString('base64');
const businessId = 'dca5fb8c-9bd1-4e5b-b4d4-0f5a5e2c3b1a';
const provider = appleProvider({ mspId: 'msp-parley', secret, businessId, baseUrl: 'http://127.0.0.1:9/apple' });
const url = 'https://channels.example.com/webhooks/demo/apple';

async function token(audience: string, key = Buffer.from(secret, 'base64')): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setAudience(audience).setIssuedAt().setExpirationTime('1h').sign(key);
}
async function signed(raw: Buffer) {
  return { raw, url, headers: { authorization: `Bearer ${await token('msp-parley')}`, 'destination-id': businessId } };
}

describe('Apple request authorization', () => {
  it("accepts Apple's HS256 token for our MSP id and business", async () => {
    expect(await provider.verify(await signed(fixture('apple', 'text-first.json')))).toEqual({ ok: true });
  });

  it('refuses a token of another key or audience, a missing token and another business', async () => {
    const raw = fixture('apple', 'text-first.json');
    const forged = await token('msp-parley', Buffer.from('another-secret-another-secret-32'));
    expect(await provider.verify({ raw, url, headers: { authorization: `Bearer ${forged}`, 'destination-id': businessId } })).toEqual({
      ok: false,
      reason: 'authorization token refused: ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    });
    expect((await provider.verify({ raw, url, headers: { authorization: `Bearer ${await token('other-msp')}`, 'destination-id': businessId } })).ok).toBe(false);
    expect(await provider.verify({ raw, url, headers: { 'destination-id': businessId } })).toEqual({ ok: false, reason: 'missing authorization bearer token' });
    expect((await provider.verify({ ...(await signed(raw)), headers: { authorization: `Bearer ${await token('msp-parley')}`, 'destination-id': 'other' } })).ok).toBe(false);
  });
});

describe('Apple messages to envelopes', () => {
  it('maps a first text message with its locale, intent and group', async () => {
    expect(provider.parseWebhook(await signed(fixture('apple', 'text-first.json')), target)).toEqual([
      {
        kind: 'inbound',
        message: {
          version: 1,
          tenant: 'demo',
          channel: 'support-wa',
          messageId: '8b6e6f5a-2c1d-4f3e-9a7b-0c1d2e3f4a5b',
          timestamp: '2026-01-13T16:02:11.000Z',
          from: { id: expect.stringMatching(/^urn:mbid:/) as string, idType: 'opaque' },
          text: "Hi, I'd like to change my delivery address",
          language: 'en-US',
          attributes: { intent: 'delivery', group: 'support' },
        },
      },
    ]);
  });

  it('reads a gzipped body', async () => {
    const [event] = provider.parseWebhook(await signed(gzipSync(fixture('apple', 'text-first.json'))), target);
    expect(event?.kind === 'inbound' && event.message.text).toBe("Hi, I'd like to change my delivery address");
  });

  it('maps a list-picker reply to its title and a buttonResponse per chosen item', async () => {
    const [event] = provider.parseWebhook(await signed(fixture('apple', 'list-picker-reply.json')), target);
    expect(event?.kind === 'inbound' && event.message).toMatchObject({ text: 'Tuesday morning', content: [{ type: 'buttonResponse', text: 'Tuesday morning', payload: 'slot:tue-am' }] });
  });

  it('maps time-picker and quick-reply answers to the chosen slot or reply', async () => {
    const [slot] = provider.parseWebhook(await signed(fixture('apple', 'time-picker-reply.json')), target);
    expect(slot?.kind === 'inbound' && slot.message).toMatchObject({ text: 'Tue 8 Dec, 09:00', content: [{ type: 'buttonResponse', payload: 'slot:tue-0900' }] });
    const [reply] = provider.parseWebhook(await signed(fixture('apple', 'quick-reply-reply.json')), target);
    expect(reply?.kind === 'inbound' && reply.message.content).toEqual([{ type: 'buttonResponse', text: 'Yes, keep it', payload: 'keep' }]);
  });

  it('ignores typing indicators and refuses unknown types', async () => {
    expect(provider.parseWebhook(await signed(fixture('apple', 'typing-start.json')), target)).toEqual([]);
    expect(() => provider.parseWebhook({ raw: Buffer.from('{"type":"richLink","id":"x","sourceId":"y"}'), url, headers: {} }, target)).toThrow(UnmappablePayloadError);
  });
});

describe('OutboundMessage to the Apple gateway', () => {
  it('sends text with our id, the business as source and a token Apple can verify', async () => {
    const message: OutboundMessage = {
      version: 1,
      id: '65de6bda-5115-4868-add6-4f877a9a3f41',
      tenant: 'demo',
      channel: 'apple',
      conversationId: '0c4a082f-909b-4253-85f4-128f4df12763',
      to: { id: 'urn:mbid:AQAAY5CZ', idType: 'opaque' },
      agentId: 'alice',
      timestamp: '2026-01-12T09:16:30.000Z',
      text: 'Sure, which address?',
      content: [{ type: 'quickReplies', text: 'Keep this slot?', options: [{ text: 'Yes', payload: 'keep' }] }],
    };
    const now = new Date();
    const plan = provider.toRequests(message, { now });
    if (!plan.ok) throw new Error(plan.reason);
    const [request] = plan.requests;
    expect(request).toMatchObject({
      url: 'http://127.0.0.1:9/apple/v1/message',
      headers: { id: message.id, 'source-id': businessId, 'destination-id': 'urn:mbid:AQAAY5CZ', 'auto-reply': 'false' },
      body: {
        value: { v: 1, type: 'text', id: message.id, sourceId: businessId, destinationId: 'urn:mbid:AQAAY5CZ', body: 'Sure, which address?\n\nKeep this slot?\n1. Yes\n\nReply with the number of your choice.' },
      },
    });
    const bearer = request!.headers.authorization!.replace('Bearer ', '');
    const { payload } = await jwtVerify(bearer, Buffer.from(secret, 'base64'), { issuer: 'msp-parley', algorithms: ['HS256'] });
    expect(payload.iat).toBe(Math.floor(now.getTime() / 1000));
  });

  it('sends list pickers, time pickers and 2–5 quick replies as interactive messages on the business balloon', () => {
    const message: OutboundMessage = {
      version: 1,
      id: '7f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
      tenant: 'demo',
      channel: 'apple',
      conversationId: '0c4a082f-909b-4253-85f4-128f4df12763',
      to: { id: 'urn:mbid:AQAAY5CZ', idType: 'opaque' },
      agentId: 'alice',
      timestamp: '2026-12-04T09:16:30.000Z',
      text: 'Let us find a slot.',
      content: [
        { type: 'listPicker', title: 'Which store?', sections: [{ title: 'Paris', multipleSelection: true, items: [{ title: 'Rivoli', payload: 'store:rivoli' }] }] },
        { type: 'timePicker', title: 'Pick a time', timeZone: 'Europe/Paris', slots: [{ start: '2026-12-08T08:00:00Z', durationMinutes: 30, payload: 'slot:1' }] },
        { type: 'quickReplies', text: 'Keep it?', options: [{ text: 'Yes', payload: 'yes' }, { text: 'No', payload: 'no' }] },
      ],
    };
    const plan = provider.toRequests(message, { now: new Date() });
    if (!plan.ok) throw new Error(plan.reason);
    const values = plan.requests.map((r) => (r.body as { value: Record<string, unknown> }).value);
    expect(values.map((v) => v.type)).toEqual(['text', 'interactive', 'interactive', 'interactive']);
    expect(values.map((v) => v.id)).toEqual([message.id, `${message.id}-1`, `${message.id}-2`, `${message.id}-3`]);
    const bid = 'com.apple.messages.MSMessageExtensionBalloonPlugin:0000000000:com.apple.icloud.apps.messages.business.extension';
    expect(values[1]).toMatchObject({
      interactiveData: {
        bid,
        data: {
          version: '1.0',
          requestIdentifier: `${message.id}-1`,
          listPicker: { sections: [{ order: 0, title: 'Paris', multipleSelection: true, items: [{ identifier: 'store:rivoli', order: 0, style: 'default', title: 'Rivoli' }] }] },
          receivedMessage: { title: 'Which store?' },
        },
      },
    });
    expect(values[2]).toMatchObject({
      interactiveData: { bid, data: { event: { title: 'Pick a time', timezoneOffset: 60, timeslots: [{ identifier: 'slot:1', startTime: '2026-12-08T08:00+0000', duration: 1800 }] } } },
    });
    expect(values[3]).toMatchObject({ interactiveData: { bid, data: { 'quick-reply': { summaryText: 'Keep it?', items: [{ identifier: 'yes', title: 'Yes' }, { identifier: 'no', title: 'No' }] } } } });
    expect(plan.options).toEqual([]);
  });

  it('sends what the Channel switched off, and a single quick reply, as numbered text', () => {
    const plain = appleProvider({ mspId: 'msp-parley', secret, businessId, baseUrl: 'http://127.0.0.1:9/apple', disabledContent: ['listPicker'] });
    const plan = plain.toRequests(
      {
        version: 1,
        id: '8a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
        tenant: 'demo',
        channel: 'apple',
        conversationId: '0c4a082f-909b-4253-85f4-128f4df12763',
        to: { id: 'urn:mbid:AQAAY5CZ', idType: 'opaque' },
        timestamp: '2026-12-04T09:16:30.000Z',
        content: [{ type: 'listPicker', title: 'Which store?', sections: [{ multipleSelection: false, items: [{ title: 'Rivoli', payload: 'store:rivoli' }] }] }],
      },
      { now: new Date() },
    );
    if (!plan.ok) throw new Error(plan.reason);
    expect(plan.requests.map((r) => (r.body as { value: { type: string; body?: string } }).value)).toEqual([
      expect.objectContaining({ type: 'text', body: 'Which store?\n1. Rivoli\n\nReply with the number of your choice.' }),
    ]);
    expect(plan.options).toEqual([{ n: 1, text: 'Rivoli', payload: 'store:rivoli' }]);
  });

  it('reports accepted without receipts; 429 retries; 404 fails', () => {
    expect(provider.parseResponse({ status: 200, body: '', headers: {} })).toEqual({ kind: 'accepted' });
    expect(provider.parseResponse({ status: 429, body: '', headers: {} })).toEqual({ kind: 'retry', reason: 'RateLimited (apple 429)' });
    expect(provider.parseResponse({ status: 404, body: '', headers: {} })).toEqual({ kind: 'failed', reason: 'RecipientUnavailable (apple 404)' });
  });
});
