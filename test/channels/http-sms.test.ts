import { describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../src/contract/index.ts';
import { httpSmsProvider } from '../../src/channels/index.ts';
import { fixture, sign, target } from './fixtures.ts';

const webhookSecret = 'aggregator-secret';
/** Sinch's field layout, as configuration. */
const provider = httpSmsProvider({
  webhookSecret,
  inbound: { messageId: 'id', from: 'from', text: 'body', timestamp: 'received_at' },
  status: { field: 'status', messageId: 'batch_id', map: { Delivered: 'delivered', Failed: 'failed', Rejected: 'failed' }, reason: 'code' },
  send: { url: 'http://127.0.0.1:9/sms/batches', from: '12345', headers: { authorization: 'Bearer token' }, fields: { to: 'to', from: 'from', text: 'body' } },
});
const url = 'https://channels.example.com/webhooks/demo/sms';
const signed = (raw: Buffer, at = url) => ({ raw, url: at, headers: { 'x-signature': sign('sha256', webhookSecret, raw, 'hex') } });

describe('generic HTTP SMS provider', () => {
  it('checks the configured HMAC header', async () => {
    const raw = fixture('http-sms', 'mo-text.json');
    expect(await provider.verify(signed(raw))).toEqual({ ok: true });
    expect((await provider.verify({ raw, url, headers: { 'x-signature': sign('sha256', 'forged', raw, 'hex') } })).ok).toBe(false);
  });

  it('maps an inbound message by the configured paths and tags STOP', () => {
    expect(provider.parseWebhook(signed(fixture('http-sms', 'mo-text.json')), target)).toEqual([
      {
        kind: 'inbound',
        message: {
          version: 1,
          tenant: 'demo',
          channel: 'support-wa',
          messageId: '01FC66621XXXXX119Z8PMV1QPQ',
          timestamp: '2022-08-24T14:15:22.000Z',
          from: { id: '+14155550123', idType: 'phone', phone: '+14155550123' },
          text: 'STOP',
          attributes: { smsKeyword: 'stop' },
        },
      },
    ]);
  });

  it('maps a delivery report through the status table, with the Parley id from the callback URL', () => {
    const at = `${url}?parleyMessageId=65de6bda-5115-4868-add6-4f877a9a3f41`;
    expect(provider.parseWebhook(signed(fixture('http-sms', 'delivery-report.json'), at), target)).toEqual([
      {
        kind: 'status',
        status: { status: 'failed', timestamp: '2026-01-13T16:02:11.000Z', platformMessageId: '01FC66621XXXXX119Z8PMV1QPQ', messageId: '65de6bda-5115-4868-add6-4f877a9a3f41', reason: '403' },
      },
    ]);
  });

  it('sends JSON with the configured field names and counts segments; rich content as numbered text', () => {
    const message: OutboundMessage = {
      version: 1,
      id: '65de6bda-5115-4868-add6-4f877a9a3f41',
      tenant: 'demo',
      channel: 'sms',
      conversationId: '0c4a082f-909b-4253-85f4-128f4df12763',
      to: { id: '+14155550123', idType: 'phone' },
      timestamp: '2026-01-13T16:05:00.000Z',
      content: [{ type: 'quickReplies', text: 'Confirm?', options: [{ text: 'Yes', payload: 'y' }] }],
    };
    const plan = provider.toRequests(message, { now: new Date() });
    expect(plan).toEqual({
      ok: true,
      options: [{ n: 1, text: 'Yes', payload: 'y' }],
      requests: [
        {
          method: 'POST',
          url: 'http://127.0.0.1:9/sms/batches',
          headers: { 'content-type': 'application/json', authorization: 'Bearer token' },
          body: { type: 'json', value: { to: '+14155550123', from: '12345', body: 'Confirm?\n1. Yes\n\nReply with the number of your choice.' } },
          sms: { encoding: 'GSM-7', units: 54, segments: 1 },
        },
      ],
    });
    expect(provider.parseResponse({ status: 201, body: '{"id":"01FC6"}', headers: {} })).toEqual({ kind: 'accepted', providerMessageId: '01FC6' });
    expect(provider.parseResponse({ status: 429, body: '', headers: { 'retry-after': '1' } })).toEqual({ kind: 'retry', reason: 'RateLimited (HTTP 429)', afterMs: 1000 });
  });
});
