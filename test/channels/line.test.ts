import { describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../src/contract/index.ts';
import { lineProvider, retryKey, UnmappablePayloadError } from '../../src/channels/index.ts';
import { fixture, fixtureText, sign, target } from './fixtures.ts';

const channelSecret = 'line-channel-secret';
const provider = lineProvider({ channelSecret, channelAccessToken: 'line-token', botUserId: 'U0123456789abcdef0123456789abcdef', baseUrl: 'http://127.0.0.1:9/line' });
const url = 'https://channels.example.com/webhooks/demo/line';

function signed(raw: Buffer) {
  return { raw, url, headers: { 'x-line-signature': sign('sha256', channelSecret, raw, 'base64') } };
}

const outbound: OutboundMessage = {
  version: 1,
  id: '65de6bda-5115-4868-add6-4f877a9a3f41',
  tenant: 'demo',
  channel: 'line',
  conversationId: '0c4a082f-909b-4253-85f4-128f4df12763',
  to: { id: 'U4af4980629a1b2c3d4e5f60718293a4b', idType: 'opaque' },
  agentId: 'alice',
  timestamp: '2026-01-12T09:16:30.000Z',
  text: 'Good morning! How can I help?',
};
const receivedAt = new Date('2026-01-12T09:16:00.000Z');
const at = (seconds: number) => ({ now: new Date(receivedAt.getTime() + seconds * 1000), lastInboundAt: receivedAt, replyToken: { token: 'nHuyWiB7yP5Zw52FIkcQobQuGDXCTA', receivedAt } });

describe('x-line-signature', () => {
  it('accepts the base64 HMAC of the raw body and refuses a forged one', async () => {
    const raw = fixture('line', 'text.json');
    expect(await provider.verify(signed(raw))).toEqual({ ok: true });
    expect(await provider.verify({ raw, url, headers: { 'x-line-signature': sign('sha256', 'forged', raw, 'base64') } })).toEqual({ ok: false, reason: 'x-line-signature does not match the body' });
    expect((await provider.verify({ raw, url, headers: {} })).ok).toBe(false);
  });
});

describe('LINE webhooks to envelopes', () => {
  it('maps a text message with its reply token and skips the follow event', () => {
    expect(provider.parseWebhook(signed(fixture('line', 'text.json')), target)).toEqual([
      {
        kind: 'inbound',
        replyToken: 'nHuyWiB7yP5Zw52FIkcQobQuGDXCTA',
        message: {
          version: 1,
          tenant: 'demo',
          channel: 'support-wa',
          messageId: '444573844083572737',
          timestamp: '2016-05-07T13:57:59.859Z',
          from: { id: 'U4af4980629a1b2c3d4e5f60718293a4b', idType: 'opaque' },
          text: 'Good Morning!! (love)',
        },
      },
    ]);
  });

  it('maps an image to its content URL, a location, and a sticker to its image', () => {
    const events = provider.parseWebhook(signed(fixture('line', 'media-location-sticker.json')), target);
    const messages = events.map((e) => (e.kind === 'inbound' ? e.message : undefined));
    expect(messages[0]?.attachments).toEqual([{ url: 'https://api-data.line.me/v2/bot/message/354718705033693859/content', contentType: 'image/jpeg' }]);
    expect(messages[1]?.content).toEqual([{ type: 'location', latitude: 35.67966, longitude: 139.73669, name: 'my location', address: '1-3 Kioicho, Chiyoda-ku, Tokyo, 102-8282, Japan' }]);
    expect(messages[2]?.attachments?.[0]?.url).toBe('https://stickershop.line-scdn.net/stickershop/v1/sticker/52002738/android/sticker.png');
  });

  it('maps a postback to a buttonResponse identified by its webhook event id', () => {
    const [event] = provider.parseWebhook(signed(fixture('line', 'postback.json')), target);
    expect(event?.kind === 'inbound' && event.message).toMatchObject({ messageId: '01FZ74A0TDDPYRVKNK77XKC3ZU', content: [{ type: 'buttonResponse', payload: 'storeId=12345' }] });
  });

  it("refuses another bot's webhook", () => {
    const other = Buffer.from(fixtureText('line', 'text.json').replace('U0123456789abcdef0123456789abcdef', 'Uffff'));
    expect(() => provider.parseWebhook(signed(other), target)).toThrow(UnmappablePayloadError);
  });
});

describe('OutboundMessage to LINE reply or push', () => {
  it('replies with the token while it is valid', () => {
    const plan = provider.toRequests(outbound, at(10));
    expect(plan).toEqual({
      ok: true,
      options: [],
      requests: [
        {
          method: 'POST',
          url: 'http://127.0.0.1:9/line/v2/bot/message/reply',
          headers: { authorization: 'Bearer line-token', 'content-type': 'application/json' },
          body: { type: 'json', value: { replyToken: 'nHuyWiB7yP5Zw52FIkcQobQuGDXCTA', messages: [{ type: 'text', text: 'Good morning! How can I help?' }] } },
        },
      ],
    });
  });

  it('pushes with a stable retry key once the token has expired', () => {
    const plan = provider.toRequests(outbound, at(25));
    expect(plan.ok && plan.requests[0]).toMatchObject({
      url: 'http://127.0.0.1:9/line/v2/bot/message/push',
      headers: { 'x-line-retry-key': retryKey(outbound.id, 0) },
      body: { value: { to: 'U4af4980629a1b2c3d4e5f60718293a4b' } },
    });
    expect(retryKey(outbound.id, 0)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(retryKey(outbound.id, 0)).not.toBe(retryKey(outbound.id, 1));
    const noToken = provider.toRequests(outbound, { now: receivedAt });
    expect(noToken.ok && noToken.requests[0]!.url).toBe('http://127.0.0.1:9/line/v2/bot/message/push');
  });

  it('sends more than 5 messages as a reply then pushes', () => {
    const attachments = Array.from({ length: 6 }, (_, i) => ({ url: `https://files.example.com/${i}.png`, contentType: 'image/png' }));
    const plan = provider.toRequests({ ...outbound, attachments }, at(1));
    expect(plan.ok && plan.requests.map((r) => r.url.split('/').pop())).toEqual(['reply', 'push']);
  });

  it('renders quick replies, a buttons template with altText, and a location; falls back to numbered text', () => {
    const plan = provider.toRequests(
      {
        ...outbound,
        text: undefined,
        content: [
          { type: 'quickReplies', text: 'Which order?', options: [{ text: '#4521', payload: 'order:4521' }] },
          { type: 'buttons', text: 'Anything else?', actions: [{ type: 'postback', text: 'Track', payload: 'track' }, { type: 'link', text: 'Policy', url: 'https://www.example.com/refunds' }] },
          { type: 'location', latitude: 35.67966, longitude: 139.73669, name: 'Store', address: '1-3 Kioicho, Tokyo' },
          { type: 'quickReplies', text: 'Long', options: [{ text: 'An option label far over twenty', payload: 'x' }] },
        ],
      },
      at(1),
    );
    const messages = plan.ok ? (plan.requests[0]!.body.value as { messages: unknown[] }).messages : [];
    expect(messages[0]).toEqual({
      type: 'text',
      text: 'Which order?',
      quickReply: { items: [{ type: 'action', action: { type: 'postback', label: '#4521', data: 'order:4521', displayText: '#4521' } }] },
    });
    expect(messages[1]).toEqual({
      type: 'template',
      altText: 'Anything else?\n1. Track\nPolicy: https://www.example.com/refunds\n\nReply with the number of your choice.',
      template: {
        type: 'buttons',
        text: 'Anything else?',
        actions: [{ type: 'postback', label: 'Track', data: 'track', displayText: 'Track' }, { type: 'uri', label: 'Policy', uri: 'https://www.example.com/refunds' }],
      },
    });
    expect(messages[2]).toEqual({ type: 'location', title: 'Store', address: '1-3 Kioicho, Tokyo', latitude: 35.67966, longitude: 139.73669 });
    expect(messages[3]).toEqual({ type: 'text', text: 'Long\n1. An option label far over twenty\n\nReply with the number of your choice.' });
  });
});

describe('Messaging API responses', () => {
  it('accepts with the sent message id; a used retry key counts as accepted; an invalid reply token retries; the monthly limit fails', () => {
    expect(provider.parseResponse({ status: 200, body: fixtureText('line', 'send-accepted.json'), headers: {} })).toEqual({ kind: 'accepted', providerMessageId: '461230966842064897' });
    expect(provider.parseResponse({ status: 409, body: '{"message":"The retry key is already accepted"}', headers: { 'x-line-accepted-request-id': 'abc-123' } })).toEqual({
      kind: 'accepted',
      providerMessageId: 'abc-123',
    });
    expect(provider.parseResponse({ status: 400, body: fixtureText('line', 'send-error-reply-token.json'), headers: {} })).toEqual({ kind: 'retry', reason: 'InvalidReplyToken (line 400)', afterMs: 0 });
    expect(provider.parseResponse({ status: 429, body: fixtureText('line', 'send-error-monthly-limit.json'), headers: {} })).toEqual({ kind: 'failed', reason: 'MonthlyLimitReached (line 429)' });
    expect(provider.parseResponse({ status: 429, body: '{"message":"Too many requests"}', headers: { 'retry-after': '2' } })).toEqual({ kind: 'retry', reason: 'RateLimited (line 429)', afterMs: 2000 });
  });
});
