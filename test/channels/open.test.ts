import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../src/contract/index.ts';
import { openProvider, UnmappablePayloadError } from '../../src/channels/index.ts';
import { fixture, sign, target } from './fixtures.ts';

const secret = 'open-shared-secret';
const provider = openProvider({ secret, outboundUrl: 'http://127.0.0.1:9/gateway/outbound' });
const url = 'https://channels.example.com/webhooks/demo/open';

function signed(raw: Buffer) {
  return { raw, url, headers: { 'x-hub-signature-256': `sha256=${sign('sha256', secret, raw, 'base64')}` } };
}

const outbound: OutboundMessage = {
  version: 1,
  id: '65de6bda-5115-4868-add6-4f877a9a3f41',
  tenant: 'demo',
  channel: 'open',
  conversationId: '0c4a082f-909b-4253-85f4-128f4df12763',
  to: { id: 'camille@example.com', idType: 'email' },
  agentId: 'alice',
  timestamp: '2026-01-12T09:16:30.000Z',
  text: 'Your refund is on its way.',
  content: [{ type: 'quickReplies', text: 'Anything else?', options: [{ text: 'No, thanks', payload: 'done' }] }],
};

describe('open channel signatures', () => {
  it('accepts the base64 HMAC-SHA256 of the raw body (Genesys style) and refuses a forged or hex one', async () => {
    const raw = fixture('open', 'inbound-text.json');
    expect(await provider.verify(signed(raw))).toEqual({ ok: true });
    expect((await provider.verify({ raw, url, headers: { 'x-hub-signature-256': `sha256=${sign('sha256', secret, raw, 'hex')}` } })).ok).toBe(false);
    expect((await provider.verify({ raw, url, headers: { 'x-hub-signature-256': `sha256=${sign('sha256', 'forged', raw, 'base64')}` } })).ok).toBe(false);
  });
});

describe('open channel webhooks to envelopes', () => {
  it('maps a message with its e-mail identity, name, attachment and string attributes', () => {
    expect(provider.parseWebhook(signed(fixture('open', 'inbound-text.json')), target)).toEqual([
      {
        kind: 'inbound',
        message: {
          version: 1,
          tenant: 'demo',
          channel: 'support-wa',
          messageId: '3f1c2e0a-6b7d-4e8f-9a0b-1c2d3e4f5a6b',
          timestamp: '2026-01-12T09:14:05.000Z',
          from: { id: 'camille@example.com', idType: 'email', name: 'Camille Martin', email: 'camille@example.com' },
          text: 'Hello, I need a refund',
          attachments: [{ url: 'https://media.gateway.example.com/demo/open/receipt.png', contentType: 'image/png', filename: 'receipt.png' }],
          attributes: { loyaltyTier: 'gold' },
        },
      },
    ]);
  });

  it('maps a posted-back receipt to a status that already names our id', () => {
    expect(provider.parseWebhook(signed(fixture('open', 'receipt-failed.json')), target)).toEqual([
      {
        kind: 'status',
        status: {
          status: 'failed',
          timestamp: '2026-01-12T09:25:03.000Z',
          platformMessageId: '65de6bda-5115-4868-add6-4f877a9a3f41',
          messageId: '65de6bda-5115-4868-add6-4f877a9a3f41',
          reason: 'RecipientOptedOut',
        },
      },
    ]);
  });

  it('refuses an unknown idType or content type with the reason', () => {
    const bad = Buffer.from(JSON.stringify({ channel: { messageId: 'm1', from: { id: 'x', idType: 'Twitter' } }, text: 'hi' }));
    expect(() => provider.parseWebhook(signed(bad), target)).toThrow(new UnmappablePayloadError('channel.from.idType Twitter is not Phone, Email or Opaque'));
    const story = Buffer.from(JSON.stringify({ channel: { messageId: 'm1', from: { id: 'x', idType: 'Opaque' } }, content: [{ contentType: 'Story' }] }));
    expect(() => provider.parseWebhook(signed(story), target)).toThrow(/Story is not mapped/);
  });
});

describe('OutboundMessage to the gateway', () => {
  it('posts the Genesys outbound shape, signed over the exact JSON, with our id as idempotency key', () => {
    const plan = provider.toRequests(outbound, { now: new Date() });
    if (!plan.ok) throw new Error(plan.reason);
    const [request] = plan.requests;
    expect(request!.body.value).toEqual({
      id: outbound.id,
      channel: { platform: 'Open', type: 'Private', messageId: outbound.id, to: { id: 'camille@example.com', idType: 'Email' }, from: { id: 'parley' }, time: '2026-01-12T09:16:30.000Z' },
      type: 'Structured',
      text: 'Your refund is on its way.',
      content: [{ contentType: 'QuickReply', quickReply: { text: 'No, thanks', payload: 'done', action: 'Message' }, prompt: 'Anything else?' }],
      direction: 'Outbound',
    });
    const expected = `sha256=${createHmac('sha256', secret).update(JSON.stringify(request!.body.value)).digest('base64')}`;
    expect(request!.headers).toMatchObject({ 'x-hub-signature-256': expected, 'idempotency-key': outbound.id });
  });

  it('classifies the gateway answers', () => {
    expect(provider.parseResponse({ status: 202, body: '', headers: {} })).toEqual({ kind: 'accepted' });
    expect(provider.parseResponse({ status: 503, body: '', headers: { 'retry-after': '5' } })).toEqual({ kind: 'retry', reason: 'ProviderUnavailable (HTTP 503)', afterMs: 5000 });
    expect(provider.parseResponse({ status: 400, body: '', headers: {} })).toEqual({ kind: 'failed', reason: 'ProviderRejected (HTTP 400)' });
  });
});
