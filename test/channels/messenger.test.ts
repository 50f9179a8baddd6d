import { describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../src/contract/index.ts';
import { messengerProvider, UnmappablePayloadError } from '../../src/channels/index.ts';
import { fixture, fixtureText, sign, target } from './fixtures.ts';

const appSecret = 'meta-app-secret';
const options = { appSecret, verifyToken: 'verify-me', accessToken: 'EAAB-page-token', baseUrl: 'http://127.0.0.1:9/graph' };
const messenger = messengerProvider({ ...options, platform: 'messenger', accountId: '107006834972313' });
const instagram = messengerProvider({ ...options, platform: 'instagram', accountId: '17841405822304914', humanAgentTag: true });
const url = 'https://channels.example.com/webhooks/demo/messenger';

function signed(raw: Buffer) {
  return { raw, url, headers: { 'x-hub-signature-256': `sha256=${sign('sha256', appSecret, raw, 'hex')}` } };
}
const parse = (name: string, provider = messenger, folder = 'messenger') => provider.parseWebhook(signed(fixture(folder, name)), target);

const outbound: OutboundMessage = {
  version: 1,
  id: '65de6bda-5115-4868-add6-4f877a9a3f41',
  tenant: 'demo',
  channel: 'messenger',
  conversationId: '0c4a082f-909b-4253-85f4-128f4df12763',
  to: { id: '6789012345678901', idType: 'opaque' },
  agentId: 'alice',
  timestamp: '2026-01-12T09:16:30.000Z',
  text: 'Your refund is on its way.',
};
const now = new Date('2026-01-12T09:16:30.000Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);
const valueOf = (plan: ReturnType<typeof messenger.toRequests>, i = 0) => {
  if (!plan.ok) throw new Error(plan.reason);
  return plan.requests[i]!.body.value as Record<string, unknown>;
};

describe('Messenger and Instagram signatures', () => {
  it('accepts the app-secret signature and refuses a forged one', async () => {
    const raw = fixture('messenger', 'text.json');
    expect(await messenger.verify(signed(raw))).toEqual({ ok: true });
    expect((await messenger.verify({ raw, url, headers: { 'x-hub-signature-256': `sha256=${sign('sha256', 'forged', raw, 'hex')}` } })).ok).toBe(false);
    expect(await instagram.verify({ raw, url, headers: {} })).toEqual({ ok: false, reason: 'missing x-hub-signature-256 header' });
  });

  it('answers the GET handshake', () => {
    expect(messenger.handshake(new URLSearchParams('hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=42'))).toEqual({ ok: true, challenge: '42' });
    expect(messenger.handshake(new URLSearchParams('hub.mode=subscribe&hub.verify_token=nope&hub.challenge=42')).ok).toBe(false);
  });
});

describe('Messenger webhooks to envelopes', () => {
  it('maps a text message from a PSID', () => {
    expect(parse('text.json')).toEqual([
      {
        kind: 'inbound',
        message: {
          version: 1,
          tenant: 'demo',
          channel: 'support-wa',
          messageId: 'm_1457764197618:41d102a3e1ae206a38',
          timestamp: '2016-03-23T00:25:52.478Z',
          from: { id: '6789012345678901', idType: 'opaque' },
          text: 'hello, world!',
        },
      },
    ]);
  });

  it('maps a quick-reply tap and a postback to buttonResponses', () => {
    const [quick] = parse('quick-reply.json');
    expect(quick?.kind === 'inbound' && quick.message.content).toEqual([{ type: 'buttonResponse', text: 'Red', payload: 'DEVELOPER_DEFINED_PAYLOAD_FOR_PICKING_RED' }]);
    const [postback] = parse('postback.json');
    expect(postback?.kind === 'inbound' && postback.message).toMatchObject({
      messageId: 'm_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P',
      content: [{ type: 'buttonResponse', text: 'Talk to an agent', payload: 'AGENT_PAYLOAD' }],
    });
  });

  it('maps an image attachment', () => {
    const [event] = parse('image.json');
    expect(event?.kind === 'inbound' && event.message.attachments).toEqual([{ url: 'https://scontent.xx.fbcdn.net/v/t1.15752-9/photo.jpg', contentType: 'image/*' }]);
  });

  it('maps delivery by mid, read by watermark, and our echo (with Parley id from metadata) to sent', () => {
    expect(parse('delivery.json')).toEqual([{ kind: 'status', status: { status: 'delivered', timestamp: '2016-03-23T00:25:52.478Z', platformMessageId: 'm_1458668856218:ed81099e15d3f4f233' } }]);
    expect(parse('read.json')).toEqual([{ kind: 'watermark', watermark: { status: 'read', customerId: '6789012345678901', upTo: '2016-03-22T17:47:36.253Z' } }]);
    expect(parse('echo.json')).toEqual([
      {
        kind: 'status',
        status: { status: 'sent', timestamp: '2016-03-12T06:29:57.627Z', platformMessageId: 'm_1457764197618:41d102a3e1ae206a41', messageId: '65de6bda-5115-4868-add6-4f877a9a3f41' },
      },
    ]);
  });

  it("refuses another page's or another platform's webhook", () => {
    const otherPage = Buffer.from(fixtureText('messenger', 'text.json').replace('"id": "107006834972313"', '"id": "1"'));
    expect(() => messenger.parseWebhook(signed(otherPage), target)).toThrow(UnmappablePayloadError);
    expect(() => instagram.parseWebhook(signed(fixture('messenger', 'text.json')), target)).toThrow('unmappable webhook payload: object is not instagram');
  });
});

describe('Instagram webhooks to envelopes', () => {
  it('maps a message from an IGSID and a seen event to a read status', () => {
    const [message] = parse('text.json', instagram, 'instagram');
    expect(message?.kind === 'inbound' && message.message).toMatchObject({ from: { id: '1234567890123456', idType: 'opaque' }, text: 'Is the blue jacket still available?' });
    const [seen] = parse('seen.json', instagram, 'instagram');
    expect(seen).toMatchObject({ kind: 'status', status: { status: 'read' } });
  });
});

describe('OutboundMessage to the Send API', () => {
  it('sends a RESPONSE within 24 h with Parley id as metadata', () => {
    const plan = messenger.toRequests(outbound, { now, lastInboundAt: hoursAgo(2) });
    expect(plan).toEqual({
      ok: true,
      options: [],
      requests: [
        {
          method: 'POST',
          url: 'http://127.0.0.1:9/graph/v23.0/107006834972313/messages',
          headers: { authorization: 'Bearer EAAB-page-token', 'content-type': 'application/json' },
          body: {
            type: 'json',
            value: { recipient: { id: '6789012345678901' }, messaging_type: 'RESPONSE', message: { text: 'Your refund is on its way.', metadata: '65de6bda-5115-4868-add6-4f877a9a3f41' } },
          },
        },
      ],
    });
  });

  it('uses HUMAN_AGENT from 24 h to 7 days only with the permission and for an agent; refuses otherwise with the reason', () => {
    expect(messenger.toRequests(outbound, { now, lastInboundAt: hoursAgo(30) })).toEqual({
      ok: false,
      code: 'OutsideWindow',
      reason: 'The Messenger 24-hour window has closed and this channel does not have the Human Agent permission.',
    });
    expect(valueOf(instagram.toRequests(outbound, { now, lastInboundAt: hoursAgo(30) }))).toMatchObject({ messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });
    const system = { ...outbound, agentId: undefined };
    expect(instagram.toRequests(system, { now, lastInboundAt: hoursAgo(30) })).toMatchObject({ ok: false, reason: 'The Instagram 24-hour window has closed and only a human agent may answer after 24 hours.' });
    expect(instagram.toRequests(outbound, { now, lastInboundAt: hoursAgo(7 * 24) })).toMatchObject({ ok: false, code: 'OutsideWindow' });
    expect(messenger.toRequests(outbound, { now })).toMatchObject({ ok: false, code: 'OutsideWindow' });
  });

  it('renders quick replies, a button template, a generic carousel; location as text', () => {
    const plan = messenger.toRequests(
      {
        ...outbound,
        text: undefined,
        content: [
          { type: 'quickReplies', text: 'Which colour?', options: [{ text: 'Red', payload: 'red' }, { text: 'Blue', payload: 'blue' }] },
          { type: 'buttons', text: 'Anything else?', actions: [{ type: 'postback', text: 'Track', payload: 'track' }, { type: 'link', text: 'Policy', url: 'https://www.example.com/refunds' }] },
          { type: 'carousel', cards: [{ title: 'Gift card', actions: [{ type: 'postback', text: 'Choose', payload: 'gift' }] }, { title: 'Free delivery', description: 'Next order', actions: [] }] },
          { type: 'location', latitude: 48.8698, longitude: 2.3076, name: 'Store' },
        ],
      },
      { now, lastInboundAt: hoursAgo(1) },
    );
    const messages = plan.ok ? plan.requests.map((r) => (r.body.value as { message: Record<string, unknown> }).message) : [];
    expect(messages[0]).toEqual({
      text: 'Which colour?',
      quick_replies: [{ content_type: 'text', title: 'Red', payload: 'red' }, { content_type: 'text', title: 'Blue', payload: 'blue' }],
      metadata: outbound.id,
    });
    expect(messages[1]).toMatchObject({
      attachment: { type: 'template', payload: { template_type: 'button', buttons: [{ type: 'postback', title: 'Track', payload: 'track' }, { type: 'web_url', title: 'Policy', url: 'https://www.example.com/refunds' }] } },
    });
    expect(messages[2]).toMatchObject({ attachment: { payload: { template_type: 'generic', elements: [{ title: 'Gift card' }, { title: 'Free delivery', subtitle: 'Next order' }] } } });
    expect(messages[3]).toMatchObject({ text: 'Store\nhttps://www.openstreetmap.org/?mlat=48.8698&mlon=2.3076' });
  });

  it('falls back to numbered text for 14 quick replies, and for buttons on Instagram', () => {
    const many = Array.from({ length: 14 }, (_, i) => ({ text: `O${i + 1}`, payload: `o${i + 1}` }));
    const plan = messenger.toRequests({ ...outbound, text: undefined, content: [{ type: 'quickReplies', text: 'Pick', options: many }] }, { now, lastInboundAt: hoursAgo(1) });
    expect(plan.ok && plan.options).toHaveLength(14);
    const ig = instagram.toRequests({ ...outbound, text: undefined, content: [{ type: 'buttons', text: 'Pick', actions: [{ type: 'postback', text: 'Yes', payload: 'y' }] }] }, { now, lastInboundAt: hoursAgo(1) });
    expect(valueOf(ig)).toMatchObject({ message: { text: 'Pick\n1. Yes\n\nReply with the number of your choice.' } });
  });
});

describe('Send API responses', () => {
  it('accepts with message_id; outside-window is permanent; 613 retries', () => {
    expect(messenger.parseResponse({ status: 200, body: fixtureText('messenger', 'send-accepted.json'), headers: {} })).toMatchObject({ kind: 'accepted' });
    expect(messenger.parseResponse({ status: 400, body: fixtureText('messenger', 'send-error-outside-window.json'), headers: {} })).toEqual({
      kind: 'failed',
      reason: 'OutsideWindow (messenger 10/2018278)',
    });
    expect(messenger.parseResponse({ status: 400, body: fixtureText('messenger', 'send-error-613.json'), headers: { 'retry-after': '60' } })).toEqual({
      kind: 'retry',
      reason: 'RateLimited (messenger 613)',
      afterMs: 60_000,
    });
  });
});
