import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDncEntries, recordOptOut, saveDncList } from '../../src/compliance/index.ts';
import { receiptMsgId, streams, subjects, type DeliveryReceipt, type OutboundMessage } from '../../src/contract/index.ts';
import { CALLBACK_SIGNATURE_HEADER } from '../../src/notifications/index.ts';
import { OTHER_TENANT, TENANT } from '../gateway/fixture.ts';
import { seedConversation, seedCustomer } from '../gateway/seed.ts';
import { waitFor } from '../support/wait-for.ts';
import { startIntegrationFixture, type IntegrationFixture } from './fixture.ts';

describe('POST /v1/notifications', () => {
  let f: IntegrationFixture;
  let token: string;
  let otherToken: string;
  let client: { clientId: string; clientSecret: string; callbackSigningSecret: string };

  beforeAll(async () => {
    f = await startIntegrationFixture();
    client = await f.createClient(TENANT, ['notifications:send']);
    token = await f.clientToken(client);
    otherToken = await f.clientToken(await f.createClient(OTHER_TENANT, ['notifications:send', 'notifications:read']));
  });
  afterAll(() => f?.fx.stop());

  const send = (body: unknown, options: { key?: string; as?: string } = {}) =>
    f.call('POST', '/v1/notifications', { token: options.as ?? token, body, ...(options.key && { headers: { 'idempotency-key': options.key } }) });
  const outboundCount = async () => (await (await jetstreamManager(f.fx.nc)).streams.info(streams.outbound.name)).state.messages;
  const lastOutbound = async (channel: string) =>
    (await (await jetstreamManager(f.fx.nc)).streams.getMessage(streams.outbound.name, { last_by_subj: subjects.outbound(TENANT, channel) }))!.json<OutboundMessage>();

  it('sends an SMS rendered from a template, published as an OutboundMessage of its own conversation, and readable by id', async () => {
    const before = await outboundCount();
    const answer = await send({ channel: 'sms-us', to: '+1 212 555 0111', category: 'shipping', template: 'Hi {{ name }}, order {{ order }} shipped{% if eta %} (ETA {{ eta }}){% endif %}.', data: { name: 'Camille', order: 'A-17' } });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ status: 'accepted', reason: null, channel: 'sms-us', to: '+12125550111', category: 'shipping', transactional: false });
    expect(await outboundCount()).toBe(before + 1);
    const message = await lastOutbound('sms-us');
    expect(message).toMatchObject({
      id: answer.body.messageId,
      conversationId: answer.body.conversationId,
      to: { id: '+12125550111', idType: 'phone' },
      text: 'Hi Camille, order A-17 shipped.',
      origin: { kind: 'notification', notificationId: answer.body.id, category: 'marketing' },
    });
    const read = await f.call('GET', `/v1/notifications/${answer.body.id as string}`, { token });
    expect(read.body).toEqual(answer.body);
  });

  it('refuses a template with an unknown variable, an invalid phone and a WhatsApp message without a template, sending nothing', async () => {
    const before = await outboundCount();
    const unknown = await send({ channel: 'sms-us', to: '+12125550112', category: 'shipping', template: 'Hi {{ nmae }}', data: { name: 'x' } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.detail).toContain('nmae');
    const phone = await send({ channel: 'sms-us', to: '555-0112', category: 'shipping', text: 'x' });
    expect(phone.status).toBe(422);
    expect(phone.body.detail).toContain('E.164');
    expect((await send({ channel: 'wa-us', to: '+12125550112', category: 'shipping', text: 'x' })).status).toBe(422);
    expect((await send({ channel: 'chat', to: '+12125550112', category: 'shipping', text: 'x' })).status).toBe(422);
    expect((await send({ channel: 'sms-us', to: '+12125550112', category: 'Not A Category', text: 'x' })).status).toBe(400);
    expect(await outboundCount()).toBe(before);
  });

  it('sends an e-mail with a rendered subject and an escaped HTML part, and a WhatsApp template', async () => {
    const mail = await send({ channel: 'mail', to: 'Camille@Example.com', category: 'receipts', template: 'Total {{ total }}', data: { total: '12 €', name: '<b>x</b>' }, email: { subject: 'Receipt {{ total }}', html: '<p>{{ name }}</p>' } });
    expect(mail.status).toBe(201);
    expect(await lastOutbound('mail')).toMatchObject({ to: { id: 'camille@example.com', idType: 'email' }, text: 'Total 12 €', email: { subject: 'Receipt 12 €', html: '<p>&lt;b&gt;x&lt;/b&gt;</p>' } });
    const wa = await send({ channel: 'wa-us', to: '+12125550113', category: 'shipping', whatsappTemplate: { name: 'order_shipped', language: 'en_US' } });
    expect(wa.status).toBe(201);
    expect((await lastOutbound('wa-us')).template).toEqual({ name: 'order_shipped', language: 'en_US' });
  });

  it('answers the same Idempotency-Key and body with the first result, sending once; another body is 409', async () => {
    const key = randomUUID();
    const body = { channel: 'sms-us', to: '+12125550114', category: 'shipping', text: 'Your code is ready' };
    const before = await outboundCount();
    const first = await send(body, { key });
    expect(first.status).toBe(201);
    // The same body, its keys in another order.
    const again = await send({ text: body.text, category: body.category, to: body.to, channel: body.channel }, { key });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await outboundCount()).toBe(before + 1);
    const other = await send({ ...body, text: 'Something else' }, { key });
    expect(other.status).toBe(409);
    expect(other.body.type).toBe('idempotencyKeyReused');
    expect(await outboundCount()).toBe(before + 1);
    // Keys are per tenant: the other tenant's identical key is another notification.
    const elsewhere = await send(body, { key, as: otherToken });
    expect(elsewhere.status).toBe(201);
    expect(elsewhere.body.id).not.toBe(first.body.id);
  });

  it('refuses a marketing notification to an opted-out or listed address, and sends a transactional one, recorded as such', async () => {
    const { db } = f.fx.store;
    await recordOptOut(db, { tenant: TENANT, address: '+12125550115', method: 'keyword', keyword: 'STOP', channel: 'sms-us', channelKind: 'sms', source: 'test' });
    await saveDncList(db, { tenant: TENANT, id: 'complaints', name: 'Complaints', channelKind: 'sms' });
    await addDncEntries(db, TENANT, 'complaints', [{ address: '+12125550116' }], { source: 'test' });
    const before = await outboundCount();
    const optedOut = await send({ channel: 'sms-us', to: '+12125550115', category: 'promo', text: 'Sale!' });
    expect(optedOut.status).toBe(201);
    expect(optedOut.body).toMatchObject({ status: 'refused', reason: expect.stringMatching(/^RecipientOptedOut: /) as string, transactional: false });
    const listed = await send({ channel: 'sms-us', to: '+12125550116', category: 'promo', text: 'Sale!' });
    expect(listed.body).toMatchObject({ status: 'refused', reason: expect.stringContaining('DoNotContact: ') as string });
    expect(await outboundCount()).toBe(before);

    // Only an admin marks a category transactional.
    expect((await f.call('PUT', '/v1/notification-categories/otp', { token, body: { transactional: true } })).status).toBe(403);
    expect((await f.call('PUT', '/v1/notification-categories/otp', { token: f.fx.token('sue', 'supervisor'), body: { transactional: true } })).status).toBe(403);
    const marked = await f.call('PUT', '/v1/notification-categories/otp', { token: f.fx.token('boss', 'admin'), body: { transactional: true } });
    expect(marked.body).toMatchObject({ name: 'otp', transactional: true, updatedBy: 'boss' });
    const otp = await send({ channel: 'sms-us', to: '+12125550115', category: 'otp', text: 'Your code: 123456' });
    expect(otp.body).toMatchObject({ status: 'accepted', transactional: true });
    expect((await lastOutbound('sms-us')).origin).toEqual({ kind: 'notification', notificationId: otp.body.id, category: 'transactional' });
  });

  it('refuses a marketing SMS in the recipient’s quiet hours with the next opening, by the zone of the number or the one given', async () => {
    // 13:30Z: 8:30 in New York, 5:30 in Los Angeles.
    f.clock.now = new Date('2026-12-04T13:30:00Z');
    const la = await send({ channel: 'sms-us', to: '+13105550117', category: 'promo', text: 'Sale!' });
    expect(la.body).toMatchObject({ status: 'refused', reason: 'QuietHours: outside 8am–9pm in America/Los_Angeles; send again from 2026-12-04T16:00:00.000Z' });
    const ny = await send({ channel: 'sms-us', to: '+13105550118', category: 'promo', text: 'Sale!', timeZone: 'America/New_York' });
    expect(ny.body.status).toBe('accepted');
    // E-mail has no quiet hours; a transactional SMS neither.
    expect((await send({ channel: 'mail', to: 'la@example.com', category: 'promo', text: 'Sale!', email: { subject: 'Sale' } })).body.status).toBe('accepted');
    expect((await send({ channel: 'sms-us', to: '+13105550117', category: 'otp', text: '123456' })).body.status).toBe('accepted');
    f.clock.now = new Date('2026-12-04T17:00:00Z');
  });

  it('follows receipts to the notification’s status and POSTs each signed, retrying a failing receiver with backoff', async () => {
    const received: { body: string; signature: string | undefined }[] = [];
    let failuresLeft = 2;
    const server: Server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ body, signature: request.headers[CALLBACK_SIGNATURE_HEADER] as string | undefined });
        response.statusCode = failuresLeft-- > 0 ? 503 : 204;
        response.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/parley-status`;
      const sent = await send({ channel: 'sms-us', to: '+12125550119', category: 'shipping', text: 'On its way', callbackUrl: url });
      const receipt = (status: DeliveryReceipt['status']): DeliveryReceipt => ({ version: 1, tenant: TENANT, channel: 'sms-us', messageId: sent.body.messageId as string, status, timestamp: new Date().toISOString(), platformMessageId: 'SM123' });
      const js = jetstream(f.fx.nc);
      await js.publish(subjects.receipts(TENANT, 'sms-us'), JSON.stringify(receipt('sent')), { msgID: receiptMsgId(sent.body.messageId as string, 'sent') });

      // Two 503s, then accepted: three attempts of the same signed body.
      await waitFor(() => (received.length >= 3 ? true : undefined), { what: 'three callback attempts' });
      expect(new Set(received.map((r) => r.body)).size).toBe(1);
      const first = received[0]!;
      expect(first.signature).toBe(`sha256=${createHmac('sha256', client.callbackSigningSecret).update(first.body).digest('hex')}`);
      expect(JSON.parse(first.body)).toMatchObject({ notificationId: sent.body.id, messageId: sent.body.messageId, status: 'sent', category: 'shipping', transactional: false });
      await waitFor(async () => {
        const row = await f.fx.store.db.selectFrom('notifications').select(['callback_status', 'callback_attempts']).where('id', '=', sent.body.id as string).executeTakeFirstOrThrow();
        return row.callback_status === 'delivered' ? row : undefined;
      }, { what: 'the callback recorded as delivered' });

      await js.publish(subjects.receipts(TENANT, 'sms-us'), JSON.stringify(receipt('delivered')), { msgID: receiptMsgId(sent.body.messageId as string, 'delivered') });
      await waitFor(() => (received.length >= 4 ? true : undefined), { what: 'the delivered callback' });
      expect(JSON.parse(received[3]!.body)).toMatchObject({ status: 'delivered' });
      // A late "sent" does not move it back.
      const read = await f.call('GET', `/v1/notifications/${sent.body.id as string}`, { token });
      expect(read.body.status).toBe('delivered');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('records a failed receipt with its reason, and ignores receipts of other messages', async () => {
    const sent = await send({ channel: 'sms-us', to: '+12125550120', category: 'shipping', text: 'x' });
    const js = jetstream(f.fx.nc);
    const failed: DeliveryReceipt = { version: 1, tenant: TENANT, channel: 'sms-us', messageId: sent.body.messageId as string, status: 'failed', timestamp: new Date().toISOString(), reason: 'RecipientOptedOut: the customer opted out' };
    await js.publish(subjects.receipts(TENANT, 'sms-us'), JSON.stringify({ ...failed, messageId: randomUUID() }));
    await js.publish(subjects.receipts(TENANT, 'sms-us'), JSON.stringify(failed));
    const view = await waitFor(async () => {
      const r = await f.call('GET', `/v1/notifications/${sent.body.id as string}`, { token });
      return r.body.status === 'failed' ? r.body : undefined;
    }, { what: 'the failed status' });
    expect(view.reason).toBe('RecipientOptedOut: the customer opted out');
  });

  it('keeps every route to the caller’s tenant', async () => {
    const sent = await send({ channel: 'sms-us', to: '+12125550121', category: 'shipping', text: 'x' });
    const id = sent.body.id as string;
    // Another tenant's client and staff: 404, exactly like a notification that does not exist.
    expect((await f.call('GET', `/v1/notifications/${id}`, { token: otherToken })).status).toBe(404);
    expect((await f.call('GET', `/v1/notifications/${id}`, { token: f.fx.token('boss', 'admin', OTHER_TENANT) })).status).toBe(404);
    expect((await f.call('GET', `/v1/notifications/${randomUUID()}`, { token })).status).toBe(404);
    // Staff of the tenant read it; an agent may not.
    expect((await f.call('GET', `/v1/notifications/${id}`, { token: f.fx.token('sue', 'supervisor') })).status).toBe(200);
    expect((await f.call('GET', `/v1/notifications/${id}`, { token: f.fx.token('alice', 'agent') })).status).toBe(403);
    // A person's token cannot send: notifications come from integrations.
    expect((await send({ channel: 'sms-us', to: '+12125550121', category: 'shipping', text: 'x' }, { as: f.fx.token('boss', 'admin') })).status).toBe(403);
    // Categories: the other tenant's admin sees none of this tenant's, and marks its own.
    await f.call('PUT', '/v1/notification-categories/otp', { token: f.fx.token('boss', 'admin'), body: { transactional: true } });
    const theirs = await f.call('GET', '/v1/notification-categories', { token: f.fx.token('boss', 'admin', OTHER_TENANT) });
    expect(theirs.body.categories).toEqual([]);
    // So the other tenant's OTP stays marketing there.
    const other = await send({ channel: 'sms-us', to: '+12125550121', category: 'otp', text: '123' }, { as: otherToken });
    expect(other.body.transactional).toBe(false);
    // No token at all.
    expect((await f.call('POST', '/v1/notifications', { body: {} })).status).toBe(401);
    expect((await f.call('GET', '/v1/notification-categories')).status).toBe(401);
  });

  it('shows the agent that the customer of a conversation opted out', async () => {
    const { db } = f.fx.store;
    const customerId = await seedCustomer(db, TENANT);
    await db.insertInto('identities').values({ tenant: TENANT, kind: 'phone', channel: '', value: '+12125550122', customer_id: customerId }).execute();
    const conversationId = await seedConversation(db, { tenant: TENANT, customerId, channel: 'wa-us', agentId: 'alice' });
    const view = () => f.call('GET', `/v1/conversations/${conversationId}`, { token: f.fx.token('alice', 'agent') });
    expect((await view()).body.optedOut).toBeNull();
    await recordOptOut(db, { tenant: TENANT, address: '+12125550122', method: 'keyword', keyword: 'STOP', channel: 'sms-us', channelKind: 'sms', source: 'test', occurredAt: new Date('2026-12-04T10:00:00Z') });
    expect((await view()).body.optedOut).toEqual({ since: '2026-12-04T10:00:00.000Z', channel: 'sms-us' });
    // The same number in another tenant is not opted out there.
    await recordOptOut(db, { tenant: OTHER_TENANT, address: '+12125550199', method: 'api', source: 'test' });
    expect((await view()).body.optedOut).toEqual({ since: '2026-12-04T10:00:00.000Z', channel: 'sms-us' });
  });
});
