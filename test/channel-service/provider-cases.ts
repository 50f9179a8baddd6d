import { createHmac, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { openSignature, twilioSignedString } from '../../src/channels/index.ts';
import type { ChannelType } from '../../src/contract/index.ts';
import { fixture } from '../channels/fixtures.ts';
import { answers } from '../support/provider-fakes/answers.ts';
import type { FakeAnswer, FakeCall } from '../support/provider-fakes/provider-fake.ts';

/**
 * Each provider as the end-to-end tests drive it: the Channel's provider block pointed at a
 * fake, its signed webhooks (built from the documented examples in test/channels/fixtures,
 * with fresh ids and times), its normal answer, and where its API call carries the text.
 */
export interface ProviderCase {
  readonly name: string;
  readonly type: ChannelType;
  /** The Channel's `spec.provider`, given the fake's URL. */
  provider(fakeUrl: string): Record<string, unknown>;
  /** The secrets the block refers to (Secret `<name>-secrets`). */
  readonly secrets: Record<string, string>;
  /** The customer as the provider names them in webhooks, and as Parley addresses replies. */
  readonly customer: string;
  readonly customerIdType: 'phone' | 'opaque' | 'email';
  /** A customer message webhook: body, content type and the signature headers for `url`. */
  inbound(messageId: string, text: string, now: Date, url: string): SignedWebhook;
  /** A status webhook for a message we sent, when the provider has statuses. */
  status?(providerMessageId: string, parleyMessageId: string, now: Date, url: string): SignedWebhook;
  /** The status the status webhook reports. */
  readonly statusReported?: 'delivered' | 'read';
  accepted(): FakeAnswer;
  /** The provider's id of the message, from its answer (undefined when it keeps ours). */
  providerIdOf(answer: FakeAnswer, call: FakeCall): string | undefined;
  /** The reply text as the provider's API received it. */
  textOf(call: FakeCall): string | undefined;
}

export interface SignedWebhook {
  readonly body: Buffer;
  readonly headers: Record<string, string>;
}

const hmac = (alg: 'sha1' | 'sha256', key: string, data: Buffer | string, enc: 'hex' | 'base64') => createHmac(alg, key).update(data).digest(enc);
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const ref = (key: string, name: string) => ({ name: `${name}-secrets`, key });
const hub = (secret: string) => (body: Buffer) => ({ 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${hmac('sha256', secret, body, 'hex')}` });
const seconds = (d: Date) => String(Math.floor(d.getTime() / 1000));

type Json = Record<string, unknown>;
const load = (provider: string, name: string) => JSON.parse(fixture(provider, name).toString('utf8')) as Json;

const phoneNumberId = '106540352242922';
const whatsapp: ProviderCase = {
  name: 'whatsapp',
  type: 'whatsapp',
  provider: (url) => ({ whatsapp: { phoneNumberId, baseUrl: url, secrets: { appSecret: ref('app-secret', 'whatsapp'), accessToken: ref('access-token', 'whatsapp'), verifyToken: ref('verify-token', 'whatsapp') } } }),
  secrets: { 'app-secret': 'wa-app-secret', 'access-token': 'wa-token', 'verify-token': 'wa-verify' },
  customer: '+16505551234',
  customerIdType: 'phone',
  inbound(id, text, now) {
    const doc = load('whatsapp', 'text.json') as { entry: [{ changes: [{ value: { messages: [Json] } }] }] };
    Object.assign(doc.entry[0].changes[0].value.messages[0], { id, timestamp: seconds(now), text: { body: text } });
    const body = json(doc);
    return { body, headers: hub('wa-app-secret')(body) };
  },
  status(providerId, parleyId, now) {
    const doc = load('whatsapp', 'status-delivered.json') as { entry: [{ changes: [{ value: { statuses: [Json] } }] }] };
    Object.assign(doc.entry[0].changes[0].value.statuses[0], { id: providerId, biz_opaque_callback_data: parleyId, timestamp: seconds(now) });
    const body = json(doc);
    return { body, headers: hub('wa-app-secret')(body) };
  },
  statusReported: 'delivered',
  accepted: () => answers.whatsapp.accepted(),
  providerIdOf: (a) => (a.body as { messages: [{ id: string }] }).messages[0].id,
  textOf: (c) => (c.parsed as { text?: { body: string } }).text?.body,
};

function meta(platform: 'messenger' | 'instagram', accountId: string, customer: string): ProviderCase {
  const secret = `${platform}-app-secret`;
  return {
    name: platform,
    type: platform,
    provider: (url) => ({ [platform]: { accountId, baseUrl: url, secrets: { appSecret: ref('app-secret', platform), accessToken: ref('access-token', platform), verifyToken: ref('verify-token', platform) } } }),
    secrets: { 'app-secret': secret, 'access-token': `${platform}-token`, 'verify-token': `${platform}-verify` },
    customer,
    customerIdType: 'opaque',
    inbound(id, text, now) {
      const doc = load(platform, 'text.json') as { entry: [{ time: number; messaging: [Json] }] };
      doc.entry[0].time = now.getTime();
      Object.assign(doc.entry[0].messaging[0], { timestamp: now.getTime(), message: { mid: id, text } });
      const body = json(doc);
      return { body, headers: hub(secret)(body) };
    },
    status(providerId, _parleyId, now) {
      // Messenger: a delivery naming the message; Instagram: messaging_seen naming it.
      const doc =
        platform === 'messenger'
          ? { object: 'page', entry: [{ id: accountId, time: now.getTime(), messaging: [{ sender: { id: customer }, recipient: { id: accountId }, delivery: { mids: [providerId], watermark: now.getTime() } }] }] }
          : { object: 'instagram', entry: [{ id: accountId, time: now.getTime(), messaging: [{ sender: { id: customer }, recipient: { id: accountId }, timestamp: now.getTime(), read: { mid: providerId } }] }] };
      const body = json(doc);
      return { body, headers: hub(secret)(body) };
    },
    statusReported: platform === 'messenger' ? 'delivered' : 'read',
    accepted: () => answers.messenger.accepted(),
    providerIdOf: (a) => (a.body as { message_id: string }).message_id,
    textOf: (c) => (c.parsed as { message?: { text?: string } }).message?.text,
  };
}

const accountSid = `AC${'a1'.repeat(16)}`;
const twilioNumber = '+14155550100';
const twilio: ProviderCase = {
  name: 'twilio',
  type: 'sms',
  provider: (url) => ({ twilio: { accountSid, from: twilioNumber, baseUrl: url, secrets: { authToken: ref('auth-token', 'twilio') } } }),
  secrets: { 'auth-token': 'twilio-auth-token' },
  customer: '+14155550123',
  customerIdType: 'phone',
  inbound(id, text, _now, url) {
    const params = new URLSearchParams(fixture('twilio', 'inbound-sms.form').toString('utf8'));
    for (const [k, v] of Object.entries({ MessageSid: id, SmsSid: id, SmsMessageSid: id, Body: text, AccountSid: accountSid, To: twilioNumber })) params.set(k, v);
    return twilioSigned(params, url);
  },
  status(providerId, _parleyId, _now, url) {
    const params = new URLSearchParams(fixture('twilio', 'status-delivered.form').toString('utf8'));
    for (const [k, v] of Object.entries({ MessageSid: providerId, SmsSid: providerId, AccountSid: accountSid, From: twilioNumber })) params.set(k, v);
    return twilioSigned(params, url);
  },
  statusReported: 'delivered',
  accepted: () => answers.twilio.accepted(),
  providerIdOf: (a) => (a.body as { sid: string }).sid,
  textOf: (c) => (c.parsed as { Body?: string }).Body,
};
function twilioSigned(params: URLSearchParams, url: string): SignedWebhook {
  return {
    body: Buffer.from(params.toString()),
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': hmac('sha1', 'twilio-auth-token', twilioSignedString(url, params), 'base64') },
  };
}

const httpSms: ProviderCase = {
  name: 'http-sms',
  type: 'sms',
  provider: (url) => ({
    httpSms: {
      inbound: { messageId: 'id', from: 'from', text: 'body', timestamp: 'received_at' },
      status: { field: 'status', messageId: 'batch_id', map: { Delivered: 'delivered', Failed: 'failed' }, reason: 'code' },
      send: { url: `${url}/xms/v1/batches`, from: '12345', fields: { to: 'to', from: 'from', text: 'body' } },
      secrets: { webhookSecret: ref('webhook-secret', 'sms'), sendHeaders: { authorization: ref('authorization', 'sms') } },
    },
  }),
  secrets: { 'webhook-secret': 'aggregator-secret', authorization: 'Bearer aggregator-token' },
  customer: '+14155550123',
  customerIdType: 'phone',
  inbound(id, text, now) {
    const body = json({ ...load('http-sms', 'mo-text.json'), id, body: text, received_at: now.toISOString() });
    return { body, headers: { 'content-type': 'application/json', 'x-signature': hmac('sha256', 'aggregator-secret', body, 'hex') } };
  },
  status(providerId, _parleyId, now) {
    const body = json({ ...load('http-sms', 'delivery-report.json'), batch_id: providerId, status: 'Delivered', code: 0, at: now.toISOString() });
    return { body, headers: { 'content-type': 'application/json', 'x-signature': hmac('sha256', 'aggregator-secret', body, 'hex') } };
  },
  statusReported: 'delivered',
  accepted: () => answers.httpSms.accepted(),
  providerIdOf: (a) => (a.body as { id: string }).id,
  textOf: (c) => (c.parsed as { body?: string }).body,
};

const lineUser = 'U4af4980629a1b2c3d4e5f60718293a4b';
const line: ProviderCase = {
  name: 'line',
  type: 'line',
  provider: (url) => ({ line: { botUserId: 'U0123456789abcdef0123456789abcdef', baseUrl: url, secrets: { channelSecret: ref('channel-secret', 'line'), channelAccessToken: ref('channel-access-token', 'line') } } }),
  secrets: { 'channel-secret': 'line-channel-secret', 'channel-access-token': 'line-token' },
  customer: lineUser,
  customerIdType: 'opaque',
  inbound(id, text, now) {
    const doc = load('line', 'text.json') as { events: Json[] };
    doc.events = [{ ...doc.events[0], replyToken: `reply-${id}`, timestamp: now.getTime(), webhookEventId: `01${id}`, message: { id, type: 'text', quoteToken: 'q', text } }];
    const body = json(doc);
    return { body, headers: { 'content-type': 'application/json', 'x-line-signature': hmac('sha256', 'line-channel-secret', body, 'base64') } };
  },
  accepted: () => answers.line.accepted(),
  providerIdOf: (a) => (a.body as { sentMessages: [{ id: string }] }).sentMessages[0].id,
  textOf: (c) => (c.parsed as { messages?: [{ text?: string }] }).messages?.[0].text,
};

const xUser = '4337869213';
const x: ProviderCase = {
  name: 'x',
  type: 'x',
  provider: (url) => ({ x: { userId: xUser, baseUrl: url, secrets: { consumerKey: ref('consumer-key', 'x'), consumerSecret: ref('consumer-secret', 'x'), accessToken: ref('access-token', 'x'), accessTokenSecret: ref('access-token-secret', 'x') } } }),
  secrets: { 'consumer-key': 'x-key', 'consumer-secret': 'x-consumer-secret', 'access-token': 'x-token', 'access-token-secret': 'x-token-secret' },
  customer: '3001969357',
  customerIdType: 'opaque',
  inbound(id, text, now) {
    const doc = load('x', 'dm.json') as { direct_message_events: [Json & { message_create: Json }] };
    const event = doc.direct_message_events[0];
    Object.assign(event, { id, created_timestamp: String(now.getTime()) });
    event.message_create = { ...event.message_create, message_data: { text, entities: { hashtags: [], symbols: [], user_mentions: [], urls: [] } } };
    return xSigned(doc);
  },
  status(providerId, _parleyId, now) {
    return xSigned({ for_user_id: xUser, direct_message_mark_read_events: [{ created_timestamp: String(now.getTime()), sender_id: '3001969357', target: { recipient_id: xUser }, last_read_event_id: providerId }] });
  },
  statusReported: 'read',
  accepted: () => answers.x.accepted(),
  providerIdOf: (a) => (a.body as { event: { id: string } }).event.id,
  textOf: (c) => (c.parsed as { event?: { message_create?: { message_data?: { text?: string } } } }).event?.message_create?.message_data?.text,
};
function xSigned(doc: unknown): SignedWebhook {
  const body = json(doc);
  return { body, headers: { 'content-type': 'application/json', 'x-twitter-webhooks-signature': `sha256=${hmac('sha256', 'x-consumer-secret', body, 'base64')}` } };
}

const businessId = 'dca5fb8c-9bd1-4e5b-b4d4-0f5a5e2c3b1a';
const appleSecret = Buffer.from('apple-msp-secret-0123456789abcdef').toString('base64');
const apple: ProviderCase = {
  name: 'apple',
  type: 'apple',
  provider: (url) => ({ apple: { mspId: 'parley-msp', businessId, baseUrl: url, secrets: { secret: ref('secret', 'apple') } } }),
  secrets: { secret: appleSecret },
  customer: (load('apple', 'text-first.json') as { sourceId: string }).sourceId,
  customerIdType: 'opaque',
  inbound(id, text) {
    const body = json({ ...load('apple', 'text-first.json'), id, body: text });
    // Apple's token is made asynchronously: the test awaits `appleToken()` and adds it.
    return { body, headers: { 'content-type': 'application/json', 'destination-id': businessId } };
  },
  accepted: () => answers.apple.accepted(),
  providerIdOf: () => undefined,
  textOf: (c) => (c.parsed as { body?: string }).body,
};
/** Apple's bearer token for the MSP: HS256 with the MSP secret, `aud` = the MSP id. */
export async function appleToken(): Promise<string> {
  return `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setAudience('parley-msp').setIssuedAt().setExpirationTime('1m').sign(Buffer.from(appleSecret, 'base64'))}`;
}

const open: ProviderCase = {
  name: 'open',
  type: 'open',
  provider: (url) => ({ open: { outboundUrl: `${url}/outbound`, secrets: { secret: ref('secret', 'open') } } }),
  secrets: { secret: 'open-shared-secret' },
  customer: 'camille@example.com',
  customerIdType: 'email',
  inbound(id, text, now) {
    const doc = load('open', 'inbound-text.json') as { channel: Json };
    const body = json({ ...doc, channel: { ...doc.channel, messageId: id, time: now.toISOString() }, text, content: [] });
    return { body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': openSignature('open-shared-secret', body) } };
  },
  status(_providerId, parleyId, now) {
    const body = json({ id: parleyId, channel: { to: { id: 'camille@example.com', idType: 'Email' }, time: now.toISOString() }, type: 'Receipt', status: 'Delivered', isFinalReceipt: false, direction: 'Outbound' });
    return { body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': openSignature('open-shared-secret', body) } };
  },
  statusReported: 'delivered',
  accepted: () => answers.open.accepted(),
  providerIdOf: (a) => (a.body as { id: string }).id,
  textOf: (c) => (c.parsed as { text?: string }).text,
};

export const providerCases: readonly ProviderCase[] = [whatsapp, meta('messenger', '107006834972313', '6789012345678901'), meta('instagram', '17841405822304914', '1234567890123456'), x, line, apple, twilio, httpSms, open];

export const newId = () => randomUUID();
