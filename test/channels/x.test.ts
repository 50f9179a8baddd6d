import { describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../src/contract/index.ts';
import { oauth1Header, UnmappablePayloadError, xProvider } from '../../src/channels/index.ts';
import { fixture, fixtureText, sign, target } from './fixtures.ts';

const consumerSecret = 'x-consumer-secret';
const provider = xProvider({ consumerKey: 'ck', consumerSecret, accessToken: 'at', accessTokenSecret: 'ats', userId: '4337869213', baseUrl: 'http://127.0.0.1:9/x' });
const url = 'https://channels.example.com/webhooks/demo/x';

function signed(raw: Buffer) {
  return { raw, url, headers: { 'x-twitter-webhooks-signature': `sha256=${sign('sha256', consumerSecret, raw, 'base64')}` } };
}

const outbound: OutboundMessage = {
  version: 1,
  id: '65de6bda-5115-4868-add6-4f877a9a3f41',
  tenant: 'demo',
  channel: 'x',
  conversationId: '0c4a082f-909b-4253-85f4-128f4df12763',
  to: { id: '3001969357', idType: 'opaque' },
  agentId: 'alice',
  timestamp: '2026-01-12T09:16:30.000Z',
  text: 'Hi Jordan, let me check.',
};
const lastInboundAt = new Date('2026-01-12T09:14:05.000Z');
const now = new Date('2026-01-12T09:16:30.000Z');

describe('X CRC and webhook signature', () => {
  it('answers the CRC check with the base64 HMAC of the token', () => {
    expect(provider.crc('challenge-token')).toEqual({ response_token: `sha256=${sign('sha256', consumerSecret, 'challenge-token', 'base64')}` });
  });

  it('accepts x-twitter-webhooks-signature over the raw body and refuses a forged one', async () => {
    const raw = fixture('x', 'dm.json');
    expect(await provider.verify(signed(raw))).toEqual({ ok: true });
    expect((await provider.verify({ raw, url, headers: { 'x-twitter-webhooks-signature': `sha256=${sign('sha256', 'forged', raw, 'base64')}` } })).ok).toBe(false);
    expect(await provider.verify({ raw, url, headers: {} })).toEqual({ ok: false, reason: 'missing x-twitter-webhooks-signature header' });
  });

  it('signs API calls with OAuth 1.0a as in X\u2019s documented example', () => {
    const header = oauth1Header(
      'POST',
      'https://api.twitter.com/1.1/statuses/update.json?include_entities=true',
      { status: 'Hello Ladies + Gentlemen, a signed OAuth request!' },
      { consumerKey: 'xvz1evFS4wEEPTGEFPHBog', consumerSecret: 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw', token: '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb', tokenSecret: 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE' },
      'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg',
      1318622958,
    );
    expect(header).toContain('oauth_signature="hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D"');
  });
});

describe('X webhooks to envelopes', () => {
  it('maps a DM with the sender name from users', () => {
    expect(provider.parseWebhook(signed(fixture('x', 'dm.json')), target)).toEqual([
      {
        kind: 'inbound',
        message: {
          version: 1,
          tenant: 'demo',
          channel: 'support-wa',
          messageId: '954491830116155396',
          timestamp: '2018-01-19T23:12:40.557Z',
          from: { id: '3001969357', idType: 'opaque', name: 'Jordan Brinks' },
          text: 'Hello World!',
        },
      },
    ]);
  });

  it('maps a quick-reply answer to a buttonResponse with its metadata', () => {
    const [event] = provider.parseWebhook(signed(fixture('x', 'quick-reply-response.json')), target);
    expect(event?.kind === 'inbound' && event.message.content).toEqual([{ type: 'buttonResponse', text: 'Red Bird', payload: 'external_id_1' }]);
  });

  it('maps media to an attachment, our own DM to sent, and a read event to read', () => {
    const events = provider.parseWebhook(signed(fixture('x', 'media-echo-read.json')), target);
    expect(events[0]?.kind === 'inbound' && events[0].message).toMatchObject({
      text: 'https://t.co/1YAfbVGRHB',
      attachments: [{ url: 'https://ton.twitter.com/1.1/ton/data/dm/954491830116155398/954491830116155390/cpkZsLdF.jpg', contentType: 'image/jpeg' }],
    });
    expect(events.slice(1)).toEqual([
      { kind: 'status', status: { status: 'sent', timestamp: '2018-01-19T23:16:00.557Z', platformMessageId: '954491830116155399' } },
      { kind: 'status', status: { status: 'read', timestamp: '2018-01-19T23:16:40.557Z', platformMessageId: '954491830116155399' } },
    ]);
  });

  it("refuses another account's events", () => {
    const other = Buffer.from(fixtureText('x', 'dm.json').replace('"for_user_id": "4337869213"', '"for_user_id": "1"'));
    expect(() => provider.parseWebhook(signed(other), target)).toThrow(UnmappablePayloadError);
  });
});

describe('OutboundMessage to X DMs and the 5-replies rule', () => {
  it('sends a DM with quick-reply options and an OAuth 1.0a header', () => {
    const plan = provider.toRequests(
      { ...outbound, content: [{ type: 'quickReplies', text: 'Which one?', options: [{ text: 'Red Bird', payload: 'external_id_1' }] }] },
      { now, lastInboundAt, repliesSinceInbound: 0 },
    );
    if (!plan.ok) throw new Error(plan.reason);
    expect(plan.requests.map((r) => r.body.value)).toEqual([
      { event: { type: 'message_create', message_create: { target: { recipient_id: '3001969357' }, message_data: { text: 'Hi Jordan, let me check.' } } } },
      {
        event: {
          type: 'message_create',
          message_create: {
            target: { recipient_id: '3001969357' },
            message_data: { text: 'Which one?', quick_reply: { type: 'options', options: [{ label: 'Red Bird', metadata: 'external_id_1' }] } },
          },
        },
      },
    ]);
    expect(plan.requests[0]!.url).toBe('http://127.0.0.1:9/x/1.1/direct_messages/events/new.json');
    expect(plan.requests[0]!.headers.authorization).toMatch(/^OAuth oauth_consumer_key="ck", oauth_nonce="65de6bda51154868add64f877a9a3f410", oauth_signature="[^"]+", oauth_signature_method="HMAC-SHA1", oauth_timestamp="1768209390", oauth_token="at", oauth_version="1.0"$/);
  });

  it('allows the fifth reply and refuses the sixth with the reason', () => {
    expect(provider.toRequests(outbound, { now, lastInboundAt, repliesSinceInbound: 4 }).ok).toBe(true);
    expect(provider.toRequests(outbound, { now, lastInboundAt, repliesSinceInbound: 5 })).toEqual({
      ok: false,
      code: 'ReplyLimitReached',
      reason: 'X allows at most 5 replies to each customer message; none is left (this message needs 1) until the customer writes again.',
    });
    const two = { ...outbound, content: [{ type: 'quickReplies' as const, text: 'Pick', options: [{ text: 'A', payload: 'a' }] }] };
    expect(provider.toRequests(two, { now, lastInboundAt, repliesSinceInbound: 4 })).toMatchObject({ ok: false, code: 'ReplyLimitReached' });
  });

  it('refuses replies 24 h after the customer message', () => {
    expect(provider.toRequests(outbound, { now: new Date(lastInboundAt.getTime() + 24 * 3_600_000), lastInboundAt })).toMatchObject({ ok: false, code: 'OutsideWindow' });
  });
});

describe('X responses', () => {
  it('accepts with the event id; 349 is permanent; 88 retries at the rate-limit reset', () => {
    expect(provider.parseResponse({ status: 200, body: fixtureText('x', 'send-accepted.json'), headers: {} })).toEqual({ kind: 'accepted', providerMessageId: '1234858592' });
    expect(provider.parseResponse({ status: 403, body: fixtureText('x', 'send-error-349.json'), headers: {} })).toEqual({ kind: 'failed', reason: 'RecipientUnavailable (x 349)' });
    expect(
      provider.parseResponse({
        status: 429,
        body: fixtureText('x', 'send-error-88.json'),
        headers: { date: 'Mon, 12 Jan 2026 09:16:30 GMT', 'x-rate-limit-reset': String(Date.parse('2026-01-12T09:31:30Z') / 1000) },
      }),
    ).toEqual({ kind: 'retry', reason: 'RateLimited (x 88)', afterMs: 900_000 });
  });
});
