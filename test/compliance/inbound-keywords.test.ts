import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureStreams } from '../../src/bus/index.ts';
import { streams, subjects, type InboundMessage, type OutboundMessage } from '../../src/contract/index.ts';
import {
  applyInboundKeyword,
  ChannelComplianceSettings,
  consentHistory,
  consentState,
  keywordHook,
  publishComplianceAnswer,
  saveDncList,
  addDncEntries,
  suppressionCheck,
  type SendCheckConfig,
} from '../../src/compliance/index.ts';
import { migrateToLatest, openStore, type Store } from '../../src/store/index.ts';
import { startTestServices, type TestServices } from '../support/services.ts';

const compliance = ChannelComplianceSettings.parse({ brand: 'Acme', contact: 'help@acme.example', keywords: { optOut: ['ARRET'], help: ['AIDE'] } });
const sms = { kind: 'sms' as const, compliance };
const whatsapp = { kind: 'whatsapp' as const, compliance };
const config: SendCheckConfig = {
  channel: (_tenant, name) => ({ 'sms-us': { type: 'sms' }, 'wa-us': { type: 'whatsapp' }, 'mail': { type: 'email' } })[name],
  campaign: (_tenant, name) => (name === 'spring-sale' ? { spec: { doNotContact: ['vip-exclusions'] } } : undefined),
};

function inbound(tenant: string, channel: string, from: string, text: string, idType: 'phone' = 'phone'): InboundMessage {
  return { version: 1, tenant, channel, messageId: randomUUID(), timestamp: new Date().toISOString(), from: { id: from, idType }, text };
}

function outbound(tenant: string, channel: string, to: string, origin?: OutboundMessage['origin']): OutboundMessage {
  return {
    version: 1,
    id: randomUUID(),
    tenant,
    channel,
    conversationId: randomUUID(),
    to: { id: to, idType: to.includes('@') ? 'email' : 'phone' },
    timestamp: new Date().toISOString(),
    text: 'hello',
    ...(origin && { origin }),
  };
}

describe('keywords on inbound messages and the send-time suppression check', () => {
  let services: TestServices;
  let store: Store;
  let nc: NatsConnection;

  beforeAll(async () => {
    services = await startTestServices();
    store = await openStore({ url: services.databaseUrl });
    await migrateToLatest(store.db);
    nc = await connect({ servers: services.natsUrl });
    await ensureStreams(nc);
  });
  afterAll(async () => {
    await nc?.close();
    await store?.close();
    await services?.stop();
  });

  it('STOP writes the ledger and returns one confirmation; the check then refuses a reply, a campaign and a marketing notification, and lets the transactional one and the confirmation through', async () => {
    const { db } = store;
    const phone = '+14155550101';
    const stop = inbound('acme', 'sms-us', phone, '  stop ');
    const result = await applyInboundKeyword(db, stop, sms);
    expect(result?.match).toEqual({ kind: 'opt-out', keyword: 'STOP' });
    expect(result?.answer).toMatchObject({ tenant: 'acme', channel: 'sms-us', to: { id: phone, idType: 'phone' }, origin: { kind: 'compliance', answer: 'opt-out' } });
    expect(result?.answer?.text).toContain('Acme');
    const ledger = await consentHistory(db, 'acme', phone);
    expect(ledger.map((e) => [e.state, e.method, e.keyword, e.channel, e.channel_kind, e.source])).toEqual([
      ['opted-out', 'keyword', 'stop', 'sms-us', 'sms', `inbound sms-us/${stop.messageId}`],
    ]);
    expect(ledger[0]?.occurred_at.toISOString()).toBe(new Date(stop.timestamp).toISOString());

    const check = suppressionCheck(db, config);
    const reply = await check(outbound('acme', 'sms-us', phone));
    expect(reply).toMatchObject({ ok: false, code: 'RecipientOptedOut' });
    expect(await check(outbound('acme', 'sms-us', phone, { kind: 'campaign', campaign: 'spring-sale', attemptId: randomUUID() }))).toMatchObject({ code: 'RecipientOptedOut' });
    expect(await check(outbound('acme', 'sms-us', phone, { kind: 'notification', notificationId: randomUUID(), category: 'marketing' }))).toMatchObject({ code: 'RecipientOptedOut' });
    expect(await check(outbound('acme', 'sms-us', phone, { kind: 'notification', notificationId: randomUUID(), category: 'transactional' }))).toBeUndefined();
    expect(await check(result!.answer!)).toBeUndefined();

    // A second STOP is recorded, but gets no second confirmation.
    const again = await applyInboundKeyword(db, inbound('acme', 'sms-us', phone, 'STOP'), sms);
    expect(again?.recorded?.state).toBe('opted-out');
    expect(again?.answer).toBeNull();
  });

  it('runs in the channels role as a hook: a Channel without compliance settings still honours STOP, answered in the tenant\'s name', async () => {
    const { db } = store;
    const phone = '+14155550109';
    const hook = keywordHook(db, nc, { channel: (_tenant, name) => (name === 'sms-bare' ? { type: 'sms' } : undefined) });
    await hook(inbound('acme', 'sms-bare', phone, 'Stop'));
    expect(await consentState(db, 'acme', phone)).toBe('opted-out');
    const jsm = await jetstreamManager(nc);
    const stored = await jsm.streams.getMessage(streams.outbound.name, { last_by_subj: subjects.outbound('acme', 'sms-bare') });
    const answer = stored?.json<OutboundMessage>();
    expect(answer).toMatchObject({ to: { id: phone }, origin: { kind: 'compliance', answer: 'opt-out' } });
    expect(answer?.text).toContain('acme');
    // An unknown Channel, and an ordinary message, change nothing.
    await hook(inbound('acme', 'nowhere', '+14155550110', 'STOP'));
    expect(await consentState(db, 'acme', '+14155550110')).toBe('unknown');
  });

  it('handles a redelivered STOP once: nothing more in the ledger, the same answer, published once', async () => {
    const { db } = store;
    const phone = '+14155550102';
    const stop = inbound('acme', 'sms-us', phone, 'UNSUBSCRIBE');
    const first = await applyInboundKeyword(db, stop, sms);
    const second = await applyInboundKeyword(db, stop, sms);
    expect(second?.answer?.id).toBe(first?.answer?.id);
    expect(second?.recorded).toBeNull();
    expect(await consentHistory(db, 'acme', phone)).toHaveLength(1);

    const jsm = await jetstreamManager(nc);
    const before = (await jsm.streams.info(streams.outbound.name)).state.messages;
    await publishComplianceAnswer(nc, first!.answer!);
    await publishComplianceAnswer(nc, second!.answer!);
    expect((await jsm.streams.info(streams.outbound.name)).state.messages).toBe(before + 1);
    const stored = await jsm.streams.getMessage(streams.outbound.name, { last_by_subj: subjects.outbound('acme', 'sms-us') });
    expect(stored?.json<OutboundMessage>().origin).toEqual({ kind: 'compliance', answer: 'opt-out' });
  });

  it('opts out across the tenant’s channels (SMS STOP → WhatsApp refused) but not another tenant; START restores', async () => {
    const { db } = store;
    const phone = '+14155550103';
    await applyInboundKeyword(db, inbound('acme', 'sms-us', phone, 'ARRET'), sms);
    const check = suppressionCheck(db, config);
    // WhatsApp names the customer by wa_id: the digits without "+".
    expect(await check({ ...outbound('acme', 'wa-us', phone), to: { id: phone.slice(1), idType: 'phone' } })).toMatchObject({ code: 'RecipientOptedOut' });
    expect(await check(outbound('globex', 'sms-us', phone))).toBeUndefined();

    const start = await applyInboundKeyword(db, inbound('acme', 'wa-us', phone.slice(1), 'Start'), whatsapp);
    expect(start?.match.kind).toBe('opt-in');
    expect(start?.answer?.origin).toEqual({ kind: 'compliance', answer: 'opt-in' });
    expect(await consentState(db, 'acme', phone)).toBe('opted-in');
    expect(await check(outbound('acme', 'sms-us', phone))).toBeUndefined();
  });

  it('answers HELP (and a custom help word) with the brand, the contact and "Msg&data rates may apply", recording nothing', async () => {
    const { db } = store;
    const phone = '+14155550104';
    for (const word of ['help', 'INFO', 'aide']) {
      const result = await applyInboundKeyword(db, inbound('acme', 'sms-us', phone, word), sms);
      expect(result?.match.kind).toBe('help');
      expect(result?.answer?.text).toBe('Acme: for help, contact help@acme.example. Msg&data rates may apply. Reply STOP to unsubscribe.');
      expect(result?.recorded).toBeNull();
    }
    expect(await consentHistory(db, 'acme', phone)).toHaveLength(0);
  });

  it('ignores ordinary messages, a YES from an address that never opted out, and channel kinds without keywords', async () => {
    const { db } = store;
    const phone = '+14155550105';
    expect(await applyInboundKeyword(db, inbound('acme', 'sms-us', phone, 'please stop calling'), sms)).toBeNull();
    expect(await applyInboundKeyword(db, inbound('acme', 'sms-us', phone, 'yes'), sms)).toBeNull();
    expect(await applyInboundKeyword(db, inbound('acme', 'web', phone, 'STOP'), { kind: 'web', compliance })).toBeNull();
    expect(await consentHistory(db, 'acme', phone)).toHaveLength(0);
  });

  it('refuses addresses on a do-not-contact list for the channel kind; a campaign only by the lists it names', async () => {
    const { db } = store;
    await saveDncList(db, { tenant: 'acme', id: 'sms-blocked', name: 'SMS blocked', channelKind: 'sms' });
    await saveDncList(db, { tenant: 'acme', id: 'vip-exclusions', name: 'VIP', channelKind: null });
    await addDncEntries(db, 'acme', 'sms-blocked', [{ address: '+14155550106' }], { source: 'test' });
    const check = suppressionCheck(db, config);
    expect(await check(outbound('acme', 'sms-us', '+14155550106'))).toMatchObject({ code: 'DoNotContact', reason: expect.stringContaining('sms-blocked') as string });
    // The list is for SMS only.
    expect(await check(outbound('acme', 'mail', 'x@example.com'))).toBeUndefined();
    // The campaign names only vip-exclusions.
    expect(await check(outbound('acme', 'sms-us', '+14155550106', { kind: 'campaign', campaign: 'spring-sale', attemptId: randomUUID() }))).toBeUndefined();
    // A transactional notification is not held by do-not-contact lists either.
    expect(await check(outbound('acme', 'sms-us', '+14155550106', { kind: 'notification', notificationId: randomUUID(), category: 'transactional' }))).toBeUndefined();
  });
});
