import { describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../src/contract/index.ts';
import { twilioProvider, UnmappablePayloadError, verifyTwilioSignature } from '../../src/channels/index.ts';
import { fixture, fixtureText, sign, target } from './fixtures.ts';

const authToken = 'twilio-auth-token';
const accountSid = 'ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX';
const provider = twilioProvider({
  accountSid,
  authToken,
  from: '+14155550100',
  statusCallbackUrl: 'https://channels.example.com/webhooks/demo/sms/status',
  baseUrl: 'http://127.0.0.1:9/twilio',
});
const url = 'https://channels.example.com/webhooks/demo/sms';

/** Signs a form body the way Twilio does: URL, then sorted name+value pairs. */
function signed(raw: Buffer, at = url) {
  const params = new URLSearchParams(raw.toString('utf8'));
  const data = [...new Set(params.keys())].sort().reduce((acc, k) => acc + params.getAll(k).sort().map((v) => k + v).join(''), at);
  return { raw, url: at, headers: { 'x-twilio-signature': sign('sha1', authToken, data, 'base64') } };
}

const outbound: OutboundMessage = {
  version: 1,
  id: '65de6bda-5115-4868-add6-4f877a9a3f41',
  tenant: 'demo',
  channel: 'sms',
  conversationId: '0c4a082f-909b-4253-85f4-128f4df12763',
  to: { id: '+14155550123', idType: 'phone' },
  timestamp: '2026-01-13T16:05:00.000Z',
  text: 'Your parcel ships today.',
};
const state = { now: new Date('2026-01-13T16:05:00.000Z') };

describe('X-Twilio-Signature', () => {
  it("accepts Twilio's documented example, whatever the order of the form fields", () => {
    const request = { raw: fixture('twilio', 'signature-vector.form'), url: 'https://mycompany.com/myapp.php?foo=1&bar=2', headers: { 'x-twilio-signature': '0/KCTR6DLpKmkAf8muzZqo1nDgQ=' } };
    expect(verifyTwilioSignature(request, '12345')).toEqual({ ok: true });
    expect(verifyTwilioSignature({ ...request, url: 'https://mycompany.com/myapp.php?foo=1&bar=3' }, '12345').ok).toBe(false);
    expect(verifyTwilioSignature(request, 'another-token').ok).toBe(false);
  });

  it('accepts the URL signed with or without the default port', () => {
    const request = { raw: fixture('twilio', 'signature-vector.form'), url: 'https://mycompany.com:443/myapp.php?foo=1&bar=2', headers: { 'x-twilio-signature': '0/KCTR6DLpKmkAf8muzZqo1nDgQ=' } };
    expect(verifyTwilioSignature(request, '12345')).toEqual({ ok: true });
  });

  it('checks a JSON body against bodySHA256 and the signed URL', () => {
    const raw = fixture('twilio', 'signature-vector-body.json');
    const at = 'https://mycompany.com/myapp.php?bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620';
    const headers = { 'x-twilio-signature': 'y77kIzt2vzLz71DgmJGsen2scGs=' };
    expect(verifyTwilioSignature({ raw, url: at, headers }, '12345')).toEqual({ ok: true });
    expect(verifyTwilioSignature({ raw: Buffer.from('{"property": "other", "boolean": true}'), url: at, headers }, '12345')).toEqual({
      ok: false,
      reason: 'bodySHA256 does not match the body',
    });
  });

  it('refuses a forged or missing signature and a tampered parameter', async () => {
    const good = signed(fixture('twilio', 'inbound-sms.form'));
    expect(await provider.verify(good)).toEqual({ ok: true });
    expect(await provider.verify({ ...good, headers: {} })).toEqual({ ok: false, reason: 'missing x-twilio-signature header' });
    const tampered = Buffer.from(fixtureText('twilio', 'inbound-sms.form').replace('Hello', 'Hallo'));
    expect(await provider.verify({ ...good, raw: tampered })).toEqual({ ok: false, reason: 'x-twilio-signature does not match the request' });
  });
});

describe('Twilio webhooks to envelopes', () => {
  it('maps an incoming SMS; its time is the arrival time (Twilio sends none)', () => {
    expect(provider.parseWebhook(signed(fixture('twilio', 'inbound-sms.form')), target)).toEqual([
      {
        kind: 'inbound',
        message: {
          version: 1,
          tenant: 'demo',
          channel: 'support-wa',
          messageId: 'SM5e1f3c4a2b7d48f09c6a1e2d3b4c5f60',
          timestamp: '2026-01-13T16:02:11.000Z',
          from: { id: '+14155550123', idType: 'phone', phone: '+14155550123' },
          text: 'Hello, is my order on its way?',
        },
      },
    ]);
  });

  it('maps MMS media to attachments and leaves out the empty body', () => {
    const [event] = provider.parseWebhook(signed(fixture('twilio', 'inbound-mms.form')), target);
    expect(event?.kind === 'inbound' && event.message).toMatchObject({
      attachments: [{ url: expect.stringContaining('/Media/ME0123456789abcdef0123456789abcdef') as string, contentType: 'image/jpeg' }],
    });
    expect(event?.kind === 'inbound' && 'text' in event.message).toBe(false);
  });

  it('passes STOP on, tagged for the compliance rules', () => {
    const [event] = provider.parseWebhook(signed(fixture('twilio', 'inbound-stop.form')), target);
    expect(event?.kind === 'inbound' && event.message).toMatchObject({ text: 'Stop', attributes: { smsKeyword: 'stop' } });
  });

  it('maps status callbacks to receipts with the echoed Parley id; intermediate statuses give none', () => {
    const at = `${url}/status?parleyMessageId=65de6bda-5115-4868-add6-4f877a9a3f41`;
    expect(provider.parseWebhook(signed(fixture('twilio', 'status-delivered.form'), at), target)).toEqual([
      {
        kind: 'status',
        status: { status: 'delivered', timestamp: '2026-01-13T16:02:11.000Z', platformMessageId: 'SM3b8e4ef2a2a5dbc5e1a7a9d8f0c2e6b1', messageId: '65de6bda-5115-4868-add6-4f877a9a3f41' },
      },
    ]);
    const [failed] = provider.parseWebhook(signed(fixture('twilio', 'status-undelivered-30007.form'), at), target);
    expect(failed?.kind === 'status' && failed.status).toMatchObject({ status: 'failed', reason: 'CarrierFiltered (twilio 30007)' });
    expect(provider.parseWebhook(signed(fixture('twilio', 'status-sending.form'), at), target)).toEqual([]);
  });

  it("refuses another account's webhook", () => {
    const other = Buffer.from(fixtureText('twilio', 'inbound-sms.form').replace(accountSid, 'AC00000000000000000000000000000000'));
    expect(() => provider.parseWebhook(signed(other), target)).toThrow(UnmappablePayloadError);
  });
});

describe('OutboundMessage to the Twilio Messages API', () => {
  it('posts a form with From, Body and a status callback naming Parley id, and counts segments', () => {
    const plan = provider.toRequests(outbound, state);
    expect(plan).toEqual({
      ok: true,
      options: [],
      requests: [
        {
          method: 'POST',
          url: `http://127.0.0.1:9/twilio/2010-04-01/Accounts/${accountSid}/Messages.json`,
          headers: { authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: {
            type: 'form',
            value: [
              ['To', '+14155550123'],
              ['From', '+14155550100'],
              ['Body', 'Your parcel ships today.'],
              ['StatusCallback', 'https://channels.example.com/webhooks/demo/sms/status?parleyMessageId=65de6bda-5115-4868-add6-4f877a9a3f41'],
            ],
          },
          sms: { encoding: 'GSM-7', units: 24, segments: 1 },
        },
      ],
    });
  });

  it('renders rich content as numbered text with links inline, and files as MediaUrl', () => {
    const plan = provider.toRequests(
      {
        ...outbound,
        text: 'Sorry about the delay.',
        attachments: [{ url: 'https://files.example.com/label.png', contentType: 'image/png' }],
        content: [
          {
            type: 'buttons',
            text: 'What would you like to do?',
            actions: [
              { type: 'postback', text: 'Wait 2 more days', payload: 'parcel:wait' },
              { type: 'postback', text: 'Get a refund', payload: 'parcel:refund' },
              { type: 'link', text: 'Track it', url: 'https://track.example.com/4521' },
            ],
          },
        ],
      },
      state,
    );
    if (!plan.ok) throw new Error(plan.reason);
    const form = new Map(plan.requests[0]!.body.value as [string, string][]);
    expect(form.get('Body')).toBe(
      'Sorry about the delay.\n\nWhat would you like to do?\n1. Wait 2 more days\n2. Get a refund\nTrack it: https://track.example.com/4521\n\nReply with the number of your choice.',
    );
    expect(form.get('MediaUrl')).toBe('https://files.example.com/label.png');
    expect(plan.options).toEqual([
      { n: 1, text: 'Wait 2 more days', payload: 'parcel:wait' },
      { n: 2, text: 'Get a refund', payload: 'parcel:refund' },
    ]);
  });

  it('splits text over 1,600 characters and reports UCS-2 when one character needs it', () => {
    const plan = provider.toRequests({ ...outbound, text: `${'word '.repeat(400)}ok 😀` }, state);
    if (!plan.ok) throw new Error(plan.reason);
    expect(plan.requests).toHaveLength(2);
    expect(plan.requests.map((r) => r.sms?.encoding)).toEqual(['GSM-7', 'UCS-2']);
  });

  it('refuses an empty message', () => {
    expect(provider.toRequests({ ...outbound, text: ' ' }, state)).toMatchObject({ ok: false, code: 'EmptyMessage' });
  });
});

describe('Twilio send responses', () => {
  it('accepts with the SM sid; 21610 is a permanent opt-out; 429 retries after Retry-After', () => {
    expect(provider.parseResponse({ status: 201, body: fixtureText('twilio', 'send-created.json'), headers: {} })).toEqual({
      kind: 'accepted',
      providerMessageId: 'SM3b8e4ef2a2a5dbc5e1a7a9d8f0c2e6b1',
    });
    expect(provider.parseResponse({ status: 400, body: fixtureText('twilio', 'send-error-21610.json'), headers: {} })).toEqual({
      kind: 'failed',
      reason: 'RecipientOptedOut (twilio 21610)',
    });
    expect(provider.parseResponse({ status: 429, body: fixtureText('twilio', 'send-error-20429.json'), headers: { 'retry-after': '3' } })).toEqual({
      kind: 'retry',
      reason: 'RateLimited (twilio 20429)',
      afterMs: 3000,
    });
    expect(provider.parseResponse({ status: 502, body: '', headers: {} })).toEqual({ kind: 'retry', reason: 'ProviderUnavailable (HTTP 502)' });
  });
});
