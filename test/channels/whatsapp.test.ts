import { describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../src/contract/index.ts';
import { DeliveryReceipt } from '../../src/contract/index.ts';
import { deliveryReceipt, messagingLimitRefusal, numberedReply, UnmappablePayloadError, whatsAppProvider } from '../../src/channels/index.ts';
import { fixture, fixtureText, sign, target } from './fixtures.ts';

const appSecret = 'meta-app-secret';
const provider = whatsAppProvider({
  appSecret,
  verifyToken: 'verify-me',
  accessToken: 'EAAG-token',
  phoneNumberId: '106540352242922',
  baseUrl: 'http://127.0.0.1:9/graph',
});
const url = 'https://channels.example.com/webhooks/demo/support-wa';

function signed(raw: Buffer) {
  return { raw, url, headers: { 'x-hub-signature-256': `sha256=${sign('sha256', appSecret, raw, 'hex')}` } };
}

const outbound: OutboundMessage = {
  version: 1,
  id: 'e53aed19-e9e9-40c7-a247-4a7475ddb1ab',
  tenant: 'demo',
  channel: 'support-wa',
  conversationId: '0c4a082f-909b-4253-85f4-128f4df12763',
  to: { id: '+16505551234', idType: 'phone' },
  agentId: 'alice',
  timestamp: '2026-01-12T09:16:30.000Z',
  text: 'Hello Sheena, it comes in blue and black.',
};
const now = new Date('2026-01-12T09:16:30.000Z');
const inWindow = { now, lastInboundAt: new Date('2026-01-12T09:14:05.000Z') };

describe('WhatsApp signature and handshake', () => {
  it('accepts the X-Hub-Signature-256 of the raw bytes', async () => {
    expect(await provider.verify(signed(fixture('whatsapp', 'text.json')))).toEqual({ ok: true });
  });

  it('refuses a forged, a missing and a re-serialized body signature', async () => {
    const raw = fixture('whatsapp', 'text.json');
    const forged = { raw, url, headers: { 'x-hub-signature-256': `sha256=${sign('sha256', 'wrong-secret', raw, 'hex')}` } };
    expect(await provider.verify(forged)).toEqual({ ok: false, reason: 'x-hub-signature-256 does not match the body' });
    expect(await provider.verify({ raw, url, headers: {} })).toEqual({ ok: false, reason: 'missing x-hub-signature-256 header' });
    // Same JSON, different bytes: the signature covers bytes, not meaning.
    const reformatted = Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8'))));
    expect((await provider.verify({ ...signed(raw), raw: reformatted })).ok).toBe(false);
  });

  it('answers the GET handshake with the challenge only for the right verify token', () => {
    const good = new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.verify_token': 'verify-me', 'hub.challenge': '1158201444' });
    expect(provider.handshake(good)).toEqual({ ok: true, challenge: '1158201444' });
    good.set('hub.verify_token', 'guess');
    expect(provider.handshake(good)).toEqual({ ok: false, reason: 'hub.verify_token does not match' });
  });
});

describe('WhatsApp webhooks to envelopes', () => {
  it('maps a text message with its phone identity, name and Unix time', () => {
    const [event] = provider.parseWebhook(signed(fixture('whatsapp', 'text.json')), target);
    expect(event).toEqual({
      kind: 'inbound',
      message: {
        version: 1,
        tenant: 'demo',
        channel: 'support-wa',
        messageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
        timestamp: '2025-06-08T20:59:43.000Z',
        from: { id: '+16505551234', idType: 'phone', name: 'Sheena Nelson', phone: '+16505551234' },
        text: 'Does it come in another color?',
      },
    });
  });

  it('keys a username customer by BSUID when the phone is withheld', () => {
    const [event] = provider.parseWebhook(signed(fixture('whatsapp', 'bsuid-text.json')), target);
    expect(event?.kind === 'inbound' && event.message.from).toEqual({ id: 'US.13491208655302741918', idType: 'opaque', name: 'Jordan Lee' });
  });

  it('maps a reply-button tap to a buttonResponse with the button id as payload', () => {
    const [event] = provider.parseWebhook(signed(fixture('whatsapp', 'interactive-button-reply.json')), target);
    expect(event?.kind === 'inbound' && event.message.content).toEqual([{ type: 'buttonResponse', text: 'Change', payload: 'change-button' }]);
  });

  it('maps an image to an attachment on the Graph media URL, with the caption as text', () => {
    const [event] = provider.parseWebhook(signed(fixture('whatsapp', 'image.json')), target);
    expect(event?.kind === 'inbound' && event.message).toMatchObject({
      text: 'Black jacket',
      attachments: [{ url: 'http://127.0.0.1:9/graph/v23.0/1003383421387256', contentType: 'image/jpeg' }],
    });
  });

  it('maps a shared location', () => {
    const [event] = provider.parseWebhook(signed(fixture('whatsapp', 'location.json')), target);
    expect(event?.kind === 'inbound' && event.message.content).toEqual([
      { type: 'location', latitude: 37.483307, longitude: -122.148981, name: 'Meta Headquarters', address: '1 Hacker Way, Menlo Park, CA 94025' },
    ]);
  });

  it('maps statuses to receipts, with Parley id echoed and the failure reason from the error code', () => {
    const [delivered] = provider.parseWebhook(signed(fixture('whatsapp', 'status-delivered.json')), target);
    expect(delivered).toEqual({
      kind: 'status',
      status: {
        status: 'delivered',
        timestamp: '2025-06-18T16:22:53.000Z',
        platformMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjcwRjVCMUM1RjRBQjkA',
        messageId: 'e53aed19-e9e9-40c7-a247-4a7475ddb1ab',
      },
    });
    const receipt = deliveryReceipt(target, delivered!.kind === 'status' ? delivered!.status : (undefined as never), 'e53aed19-e9e9-40c7-a247-4a7475ddb1ab');
    expect(DeliveryReceipt.safeParse(receipt).success).toBe(true);
    const [failed] = provider.parseWebhook(signed(fixture('whatsapp', 'status-failed-131047.json')), target);
    expect(failed?.kind === 'status' && failed.status).toMatchObject({ status: 'failed', reason: 'OutsideWindow (whatsapp 131047)' });
  });

  it('refuses a payload it cannot map, with a reason and without content', () => {
    const unsupported = Buffer.from(fixtureText('whatsapp', 'text.json').replace('"type": "text"', '"type": "order"'));
    expect(() => provider.parseWebhook(signed(unsupported), target)).toThrow(new UnmappablePayloadError('message type order is not mapped'));
    const otherNumber = Buffer.from(fixtureText('whatsapp', 'text.json').replace('"phone_number_id": "106540352242922"', '"phone_number_id": "999"'));
    expect(() => provider.parseWebhook(signed(otherNumber), target)).toThrow(UnmappablePayloadError);
    expect(() => provider.parseWebhook(signed(Buffer.from('{"object":"page"}')), target)).toThrow(/whatsapp_business_account/);
    expect(() => provider.parseWebhook(signed(Buffer.from('not json')), target)).toThrow(/not UTF-8 JSON/);
  });
});

describe('OutboundMessage to the WhatsApp send API', () => {
  it('sends text to the phone number id with the token and Parley id as callback data', () => {
    const plan = provider.toRequests(outbound, inWindow);
    expect(plan).toEqual({
      ok: true,
      options: [],
      requests: [
        {
          method: 'POST',
          url: 'http://127.0.0.1:9/graph/v23.0/106540352242922/messages',
          headers: { authorization: 'Bearer EAAG-token', 'content-type': 'application/json' },
          body: {
            type: 'json',
            value: {
              messaging_product: 'whatsapp',
              recipient_type: 'individual',
              to: '+16505551234',
              type: 'text',
              text: { body: 'Hello Sheena, it comes in blue and black.', preview_url: false },
              biz_opaque_callback_data: 'e53aed19-e9e9-40c7-a247-4a7475ddb1ab',
            },
          },
        },
      ],
    });
  });

  it('renders ≤3 quick replies as reply buttons, ≤10 as a list, more as numbered text that maps back', () => {
    const options = (n: number) => Array.from({ length: n }, (_, i) => ({ text: `Option ${i + 1}`, payload: `opt:${i + 1}` }));
    const bodyOf = (n: number) => {
      const plan = provider.toRequests({ ...outbound, text: undefined, content: [{ type: 'quickReplies', text: 'Pick one', options: options(n) }] }, inWindow);
      if (!plan.ok) throw new Error(plan.reason);
      return { value: (plan.requests[0]!.body as { value: Record<string, unknown> }).value, offered: plan.options };
    };
    expect(bodyOf(3).value).toMatchObject({ type: 'interactive', interactive: { type: 'button', action: { buttons: [{ type: 'reply', reply: { id: 'opt:1', title: 'Option 1' } }, {}, {}] } } });
    expect(bodyOf(10).value).toMatchObject({ type: 'interactive', interactive: { type: 'list' } });
    const text = bodyOf(12);
    expect(text.value).toMatchObject({ type: 'text' });
    expect((text.value.text as { body: string }).body).toContain('12. Option 12');
    expect(numberedReply('12', text.offered)).toEqual({ type: 'buttonResponse', text: 'Option 12', payload: 'opt:12' });
  });

  it('sends link buttons as text with the URL inline, and a PDF as a document', () => {
    const plan = provider.toRequests(
      {
        ...outbound,
        text: undefined,
        attachments: [{ url: 'https://files.example.com/CN-4521.pdf', contentType: 'application/pdf', filename: 'CN-4521.pdf' }],
        content: [{ type: 'buttons', text: 'Anything else?', actions: [{ type: 'link', text: 'Refund policy', url: 'https://www.example.com/refunds' }] }],
      },
      inWindow,
    );
    if (!plan.ok) throw new Error(plan.reason);
    expect(plan.requests.map((r) => (r.body as { value: { type: string } }).value.type)).toEqual(['document', 'text']);
    expect((plan.requests[1]!.body as { value: { text: { body: string } } }).value.text.body).toBe('Anything else?\nRefund policy: https://www.example.com/refunds');
  });

  it('honours the Channel switching reply buttons off', () => {
    const plain = whatsAppProvider({ appSecret, verifyToken: 'v', accessToken: 't', phoneNumberId: '1', disabledContent: ['quickReplies'] });
    const plan = plain.toRequests({ ...outbound, text: undefined, content: [{ type: 'quickReplies', text: 'Pick', options: [{ text: 'A', payload: 'a' }] }] }, inWindow);
    expect(plan.ok && (plan.requests[0]!.body as { value: { type: string } }).value.type).toBe('text');
  });

  it('sends a one-choice list picker as a list message, a multiple-choice one as numbered text', () => {
    const picker = {
      type: 'listPicker' as const,
      title: 'Which store?',
      sections: [
        { title: 'Paris', multipleSelection: false, items: [{ title: 'Rivoli', subtitle: '75001', payload: 'store:rivoli' }, { title: 'Bastille', payload: 'store:bastille' }] },
        { title: 'Lyon', multipleSelection: false, items: [{ title: 'Part-Dieu', payload: 'store:part-dieu' }] },
      ],
    };
    const plan = provider.toRequests({ ...outbound, text: undefined, content: [picker] }, inWindow);
    if (!plan.ok) throw new Error(plan.reason);
    expect((plan.requests[0]!.body as { value: unknown }).value).toMatchObject({
      type: 'interactive',
      interactive: {
        type: 'list',
        body: { text: 'Which store?' },
        action: {
          sections: [
            { title: 'Paris', rows: [{ id: 'store:rivoli', title: 'Rivoli', description: '75001' }, { id: 'store:bastille', title: 'Bastille' }] },
            { title: 'Lyon', rows: [{ id: 'store:part-dieu', title: 'Part-Dieu' }] },
          ],
        },
      },
    });
    const several = provider.toRequests({ ...outbound, text: undefined, content: [{ ...picker, sections: [{ ...picker.sections[0]!, multipleSelection: true }] }] }, inWindow);
    if (!several.ok) throw new Error(several.reason);
    expect((several.requests[0]!.body as { value: { text: { body: string } } }).value.text.body).toBe('Which store?\nParis\n1. Rivoli (75001)\n2. Bastille\n\nReply with the number of your choice.');
    expect(numberedReply('2', several.options)).toEqual({ type: 'buttonResponse', text: 'Bastille', payload: 'store:bastille' });
  });

  it('addresses a BSUID customer by recipient', () => {
    const plan = provider.toRequests({ ...outbound, to: { id: 'US.13491208655302741918', idType: 'opaque' } }, inWindow);
    expect(plan.ok && plan.requests[0]!.body.value).toMatchObject({ recipient: 'US.13491208655302741918' });
  });
});

describe('WhatsApp 24-hour window and messaging limit', () => {
  it('sends until 24 h after the last customer message, refuses after, with the reason', () => {
    const last = new Date('2026-01-12T09:14:05.000Z');
    expect(provider.toRequests(outbound, { now: new Date(last.getTime() + 24 * 3_600_000 - 1), lastInboundAt: last }).ok).toBe(true);
    expect(provider.toRequests(outbound, { now: new Date(last.getTime() + 24 * 3_600_000), lastInboundAt: last })).toEqual({
      ok: false,
      code: 'OutsideWindow',
      reason: 'The WhatsApp 24-hour customer-service window closed at 2026-01-13T09:14:05.000Z: only an approved template can be sent until the customer writes again.',
    });
    expect(provider.toRequests(outbound, { now }).ok).toBe(false);
  });

  it('refuses a new recipient over the tier within a moving 24 h, not one already reached', () => {
    const at = (h: number) => new Date(now.getTime() - h * 3_600_000);
    const state = { reached: [{ recipient: 'a', at: at(1) }, { recipient: 'b', at: at(23) }, { recipient: 'c', at: at(25) }] };
    expect(messagingLimitRefusal(state, 'd', now, 2)?.code).toBe('MessagingLimitReached');
    expect(messagingLimitRefusal(state, 'a', now, 2)).toBeUndefined();
    expect(messagingLimitRefusal(state, 'd', now, 250)).toBeUndefined();
    expect(messagingLimitRefusal(state, 'd', now, 'unlimited')).toBeUndefined();
  });
});

describe('WhatsApp send responses', () => {
  it('accepts with the wamid, fails 131047 for good, retries 130429 and 5xx honouring Retry-After', () => {
    expect(provider.parseResponse({ status: 200, body: fixtureText('whatsapp', 'send-accepted.json'), headers: {} })).toEqual({
      kind: 'accepted',
      providerMessageId: 'wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA',
    });
    expect(provider.parseResponse({ status: 400, body: fixtureText('whatsapp', 'send-error-131047.json'), headers: {} })).toEqual({
      kind: 'failed',
      reason: 'OutsideWindow (whatsapp 131047)',
    });
    expect(provider.parseResponse({ status: 400, body: fixtureText('whatsapp', 'send-error-130429.json'), headers: { 'retry-after': '7' } })).toEqual({
      kind: 'retry',
      reason: 'RateLimited (whatsapp 130429)',
      afterMs: 7000,
    });
    expect(provider.parseResponse({ status: 503, body: '<html>busy</html>', headers: {} })).toEqual({ kind: 'retry', reason: 'ProviderUnavailable (HTTP 503)' });
    expect(provider.parseResponse({ status: 400, body: '{"error":{"code":99999}}', headers: {} })).toEqual({ kind: 'failed', reason: 'ProviderRejected (whatsapp 99999)' });
  });
});
