import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeAnswer } from './provider-fake.ts';

/**
 * The providers' answers, from the documented examples in test/channels/fixtures (each
 * README there cites its source), with a fresh message id per call so that statuses can
 * name one message.
 */
const fixtures = join(import.meta.dirname, '../../channels/fixtures');
const fixture = (provider: string, name: string): Record<string, unknown> => JSON.parse(readFileSync(join(fixtures, provider, name), 'utf8')) as Record<string, unknown>;

export const answers = {
  whatsapp: {
    accepted(id = `wamid.${randomBytes(24).toString('base64url')}`): FakeAnswer {
      const body = fixture('whatsapp', 'send-accepted.json');
      return { status: 200, body: { ...body, messages: [{ id, message_status: 'accepted' }] } };
    },
    /** 131047: more than 24 hours since the customer last replied. */
    reengagement: (): FakeAnswer => ({ status: 400, body: fixture('whatsapp', 'send-error-131047.json') }),
    /** 130429: throughput reached, with Retry-After. */
    rateLimited: (retryAfterSeconds = 1): FakeAnswer => ({ status: 429, body: fixture('whatsapp', 'send-error-130429.json'), headers: { 'retry-after': String(retryAfterSeconds) } }),
  },
  messenger: {
    accepted(id = `m_${randomBytes(30).toString('base64url')}`): FakeAnswer {
      return { status: 200, body: { ...fixture('messenger', 'send-accepted.json'), message_id: id } };
    },
  },
  twilio: {
    accepted(sid = `SM${randomBytes(16).toString('hex')}`): FakeAnswer {
      return { status: 201, body: { ...fixture('twilio', 'send-created.json'), sid } };
    },
    /** 21610: the recipient replied STOP. */
    optedOut: (): FakeAnswer => ({ status: 400, body: fixture('twilio', 'send-error-21610.json') }),
  },
  line: {
    accepted: (): FakeAnswer => ({ status: 200, body: { sentMessages: [{ id: String(BigInt(`0x${randomBytes(7).toString('hex')}`)), quoteToken: 'IStG5h1Tz7b...' }] } }),
    /** An expired reply token (the documented 400 "Invalid reply token"). */
    invalidReplyToken: (): FakeAnswer => ({ status: 400, body: fixture('line', 'send-error-reply-token.json') }),
  },
  x: {
    accepted(id = String(Date.now()) + String(Math.floor(Math.random() * 1000))): FakeAnswer {
      const body = fixture('x', 'send-accepted.json') as { event: Record<string, unknown> };
      return { status: 200, body: { event: { ...body.event, id } } };
    },
  },
  apple: { accepted: (): FakeAnswer => ({ status: 200, body: '' }) },
  open: { accepted: (): FakeAnswer => ({ status: 200, body: { id: randomUUID() } }) },
  httpSms: { accepted: (id = randomUUID()): FakeAnswer => ({ status: 200, body: { id } }) },
};
