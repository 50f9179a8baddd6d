import { describe, expect, it } from 'vitest';
import type { ChannelProvider } from '../../src/channels/index.ts';
import { appleProvider, httpSmsProvider, lineProvider, messengerProvider, openProvider, twilioProvider, whatsAppProvider, xProvider } from '../../src/channels/index.ts';
import { fixture } from './fixtures.ts';

/** Every provider, with a fixture and the header its signature travels in. */
const cases: { name: string; provider: ChannelProvider; raw: Buffer; header: string }[] = [
  { name: 'whatsapp', provider: whatsAppProvider({ appSecret: 's', verifyToken: 'v', accessToken: 't', phoneNumberId: '106540352242922' }), raw: fixture('whatsapp', 'text.json'), header: 'x-hub-signature-256' },
  { name: 'twilio', provider: twilioProvider({ accountSid: 'AC1', authToken: 's', from: '+14155550100' }), raw: fixture('twilio', 'inbound-sms.form'), header: 'x-twilio-signature' },
  { name: 'http-sms', provider: httpSmsProvider({ webhookSecret: 's', inbound: { messageId: 'id', from: 'from', text: 'body' }, send: { url: 'http://127.0.0.1:9', from: '1' } }), raw: fixture('http-sms', 'mo-text.json'), header: 'x-signature' },
  { name: 'messenger', provider: messengerProvider({ platform: 'messenger', appSecret: 's', verifyToken: 'v', accessToken: 't', accountId: '107006834972313' }), raw: fixture('messenger', 'text.json'), header: 'x-hub-signature-256' },
  { name: 'instagram', provider: messengerProvider({ platform: 'instagram', appSecret: 's', verifyToken: 'v', accessToken: 't', accountId: '17841405822304914' }), raw: fixture('instagram', 'text.json'), header: 'x-hub-signature-256' },
  { name: 'line', provider: lineProvider({ channelSecret: 's', channelAccessToken: 't' }), raw: fixture('line', 'text.json'), header: 'x-line-signature' },
  { name: 'x', provider: xProvider({ consumerKey: 'k', consumerSecret: 's', accessToken: 't', accessTokenSecret: 'ts', userId: '4337869213' }), raw: fixture('x', 'dm.json'), header: 'x-twitter-webhooks-signature' },
  { name: 'apple', provider: appleProvider({ mspId: 'm', secret: 'c2VjcmV0', businessId: 'dca5fb8c-9bd1-4e5b-b4d4-0f5a5e2c3b1a' }), raw: fixture('apple', 'text-first.json'), header: 'authorization' },
  { name: 'open', provider: openProvider({ secret: 's', outboundUrl: 'http://127.0.0.1:9' }), raw: fixture('open', 'inbound-text.json'), header: 'x-hub-signature-256' },
];

const forgeries = ['sha256=AAAA', 'sha256=0000000000000000000000000000000000000000000000000000000000000000', 'Bearer eyJhbGciOiJub25lIn0.e30.', ''];

describe('a forged or missing signature is refused by every provider', () => {
  for (const { name, provider, raw, header } of cases) {
    it(name, async () => {
      const url = 'https://channels.example.com/webhooks/demo/x';
      const base = { 'destination-id': 'dca5fb8c-9bd1-4e5b-b4d4-0f5a5e2c3b1a' };
      expect((await provider.verify({ raw, url, headers: base })).ok).toBe(false);
      for (const forged of forgeries) expect((await provider.verify({ raw, url, headers: { ...base, [header]: forged } })).ok, `${name}: ${forged}`).toBe(false);
    });
  }
});
