import { randomBytes, randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, streams, subjects } from '../../src/contract/index.ts';
import { startWebMessaging, webSubjects, type RunningWebMessaging, type WebChannelSettings } from '../../src/web-messaging/index.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { channel, metricValue, outboundReader, queue, useParley } from '../support/parley.ts';
import { waitFor } from '../support/wait-for.ts';
import { CustomerClient } from './customer-client.ts';

const SITE = 'https://shop.example.com';
const settings: Record<string, WebChannelSettings> = {
  'acme/chat': { allowedOrigins: [SITE], offlineMessage: { en: 'We are offline.', fr: 'Nous sommes absents.' } },
  'globex/chat': { allowedOrigins: ['*'] },
};

const parley = useParley([
  queue('acme', 'support'),
  channel('acme', 'chat', { type: 'web', queue: 'support' }),
  queue('globex', 'support'),
  channel('globex', 'chat', { type: 'web', queue: 'support' }),
]);

const registry = new Registry();
let web: RunningWebMessaging;
beforeAll(async () => {
  const { nc, store } = parley();
  web = await startWebMessaging({
    nc,
    db: store.db,
    secret: randomBytes(32),
    channels: (tenant, name) => settings[`${tenant}/${name}`],
    registry,
    options: { maxAttachmentBytes: 64 * 1024, messagesPerWindow: 20 },
  });
});
afterAll(() => web?.close());

async function openSession(tenant = 'acme', token?: string) {
  const res = await fetch(`${web.url}/web/v1/${tenant}/chat/sessions`, {
    method: 'POST',
    headers: { origin: SITE, ...(token && { authorization: `Bearer ${token}` }) },
  });
  return { status: res.status, body: (await res.json()) as { token: string; customerId: string; expiresAt: string; availability: { online: boolean; offlineMessage?: Record<string, string> } } };
}

function history(tenant: string, token: string) {
  return fetch(`${web.url}/web/v1/${tenant}/chat/history`, { headers: { origin: SITE, authorization: `Bearer ${token}` } });
}

async function inboundCount(tenant: string, name: string): Promise<number> {
  const jsm = await jetstreamManager(parley().nc);
  const subject = subjects.inbound(tenant, name);
  const info = await jsm.streams.info(streams.inbound.name, { subjects_filter: subject });
  return (info.state.subjects)?.[subject] ?? 0;
}

describe('web messaging sessions', () => {
  it('issues an anonymous session and resumes it with the same customer id and a fresh token', async () => {
    const first = await openSession();
    expect(first.status).toBe(201);
    expect(first.body.customerId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Date(first.body.expiresAt).getTime() - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const resumed = await openSession('acme', first.body.token);
    expect(resumed.status).toBe(200);
    expect(resumed.body.customerId).toBe(first.body.customerId);
  });

  it('shows the offline message while no agent is available', async () => {
    const { body } = await openSession();
    expect(body.availability).toEqual({ online: false, offlineMessage: { en: 'We are offline.', fr: 'Nous sommes absents.' } });
  });

  it('answers 401 to a bad token, over HTTP and on the socket', async () => {
    const failuresBefore = await metricValue(registry, 'parley_web_auth_failures_total');
    const forged = (await openSession()).body.token.slice(0, -4) + 'AAAA';
    expect((await history('acme', forged)).status).toBe(401);
    expect((await history('acme', 'not-a-token')).status).toBe(401);
    expect((await fetch(`${web.url}/web/v1/acme/chat/history`, { headers: { origin: SITE } })).status).toBe(401);
    await expect(CustomerClient.connect(web.url, forged)).rejects.toThrow('HTTP 401');
    const other = await openSession();
    const client = await CustomerClient.connect(web.url, other.body.token, { firstFrameToken: true });
    await client.close();
    await expect(CustomerClient.connect(web.url, forged, { firstFrameToken: true })).rejects.toThrow('closed 4401');
    expect(await metricValue(registry, 'parley_web_auth_failures_total')).toBe(failuresBefore + 5);
  });

  it('refuses an origin that is not allowed, and an unknown channel', async () => {
    const res = await fetch(`${web.url}/web/v1/acme/chat/sessions`, { method: 'POST', headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const ok = await fetch(`${web.url}/web/v1/acme/chat/sessions`, { method: 'POST', headers: { origin: SITE } });
    expect(ok.headers.get('access-control-allow-origin')).toBe(SITE);
    expect((await fetch(`${web.url}/web/v1/acme/nope/sessions`, { method: 'POST', headers: { origin: SITE } })).status).toBe(404);
    const { token } = (await openSession()).body;
    await expect(CustomerClient.connect(web.url, token, { origin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
  });

  it("keeps tenants apart: a token of tenant A cannot read B's history or resume a session in B", async () => {
    const a = (await openSession('acme')).body;
    const b = (await openSession('globex')).body;
    expect((await history('globex', a.token)).status).toBe(403);
    expect((await history('acme', b.token)).status).toBe(403);
    expect((await openSession('globex', a.token)).status).toBe(403);
    const upload = await fetch(`${web.url}/web/v1/globex/chat/attachments`, { method: 'POST', headers: { authorization: `Bearer ${a.token}`, 'content-type': 'text/plain' }, body: 'x' });
    expect(upload.status).toBe(403);
  });
});

describe('a web conversation', () => {
  it('carries messages both ways, typing both ways, and keeps the history across reconnects', async () => {
    const { nc, store } = parley();
    const agent = new AgentDriver(nc, 'acme', 'alice');
    await agent.configure([], { webchat: 3 });
    await agent.presence('available');

    const { token, customerId } = (await openSession()).body;
    const customer = await CustomerClient.connect(web.url, token, { origin: SITE });

    // The customer writes; the same message sent twice is published to the stream once.
    const id = randomUUID();
    const before = await inboundCount('acme', 'chat');
    customer.send({ type: 'message', id, text: 'Hello, my order is late' });
    const ack = await customer.next('ack', (f) => f.id === id);
    expect(ack.availability.online).toBe(true);
    customer.send({ type: 'message', id, text: 'Hello, my order is late' });
    await customer.next('ack', (f) => f.id === id);
    expect(await inboundCount('acme', 'chat')).toBe(before + 1);
    expect(await metricValue(registry, 'parley_web_messages_total', { result: 'duplicate' })).toBe(1);

    const conversationId = await agent.acceptNextOffer();
    const stored = await waitFor(() => store.db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).where('direction', '=', 'inbound').execute().then((r) => (r.length > 0 ? r : undefined)));
    expect(stored.map((m) => m.text)).toEqual(['Hello, my order is late']);
    expect(stored[0]?.platform_message_id).toBe(`${customerId}:${id}`);

    // Customer typing reaches the agent's events; agent typing reaches the customer.
    customer.send({ type: 'typing', typing: true });
    const typing = (await agent.next('conversation.typing' as 'conversation.message')) as unknown as { conversationId: string; typing: boolean };
    expect(typing).toMatchObject({ conversationId, typing: true });
    nc.publish(webSubjects.agentTyping('acme'), encode({ conversationId, agentId: 'alice', typing: true }));
    expect(await customer.next('typing')).toEqual({ type: 'typing', typing: true });

    // The agent answers with quick replies; the transport pushes it to the open socket.
    const outbound = await outboundReader(nc, `web-test-${randomUUID().slice(0, 8)}`);
    const quickReplies = { type: 'quickReplies', text: 'Which order?', options: [{ text: 'The last one', payload: 'ORDER_LAST' }, { text: 'Another', payload: 'ORDER_OTHER' }] };
    const sent = await agent.command({ type: 'message.send', conversationId, text: 'Let me check.', content: [quickReplies] });
    expect(sent.ok).toBe(true);
    const message = await outbound.next();
    await expect(web.transport.send(message, { tenant: 'acme', channel: 'chat' })).resolves.toEqual({ kind: 'accepted', providerMessageId: message.id });
    const pushed = await customer.next('message');
    expect(pushed.message).toMatchObject({ id: message.id, direction: 'outbound', text: 'Let me check.', content: [quickReplies] });

    // The customer clicks a quick reply: its postback reaches the conversation.
    const clickId = randomUUID();
    customer.send({ type: 'postback', id: clickId, text: 'The last one', payload: 'ORDER_LAST' });
    await customer.next('ack', (f) => f.id === clickId);
    const forwarded = await agent.next('conversation.message', (e) => e.message.direction === 'inbound' && e.message.content?.[0]?.type === 'buttonResponse');
    expect(forwarded.message.content).toEqual([{ type: 'buttonResponse', text: 'The last one', payload: 'ORDER_LAST' }]);

    // The customer answers a form: its values reach the conversation exactly, and as text.
    const formId = randomUUID();
    customer.send({ type: 'form', id: formId, payload: 'return-form:4521', values: { order: '4521', reason: 'Too small' } });
    await customer.next('ack', (f) => f.id === formId);
    const answers = await agent.next('conversation.message', (e) => e.message.direction === 'inbound' && e.message.content?.[0]?.type === 'formResponse');
    expect(answers.message).toMatchObject({ text: 'order: 4521\nreason: Too small', content: [{ type: 'formResponse', payload: 'return-form:4521', values: { order: '4521', reason: 'Too small' } }] });

    // A reload: a new socket, and the history has the whole conversation in order.
    await customer.close();
    const res = await history('acme', token);
    expect(res.status).toBe(200);
    const { messages } = (await res.json()) as { messages: { direction: string; clientId?: string; text?: string; content?: unknown[] }[] };
    expect(messages.map((m) => [m.direction, m.text])).toEqual([
      ['inbound', 'Hello, my order is late'],
      ['outbound', 'Let me check.'],
      ['inbound', 'The last one'],
      ['inbound', 'order: 4521\nreason: Too small'],
    ]);
    expect(messages[0]?.clientId).toBe(id);
    expect(messages[1]?.content).toEqual([quickReplies]);
    const again = await CustomerClient.connect(web.url, token);
    await again.close();
    agent.stop();
  });

  it("pushes what any process publishes on a session's subject to that customer's sockets only", async () => {
    const { nc } = parley();
    const mine = (await openSession()).body;
    const stranger = (await openSession()).body;
    const tab1 = await CustomerClient.connect(web.url, mine.token);
    const tab2 = await CustomerClient.connect(web.url, mine.token);
    const bystander = await CustomerClient.connect(web.url, stranger.token);
    // Another connection stands for another channels process.
    const elsewhere = await connect({ servers: nc.getServer() });
    elsewhere.publish(webSubjects.session('acme', 'chat', mine.customerId), encode({ type: 'typing', typing: false }));
    // Published after, from the same connection: it arrives after anything the bystander could have had.
    elsewhere.publish(webSubjects.session('acme', 'chat', stranger.customerId), encode({ type: 'typing', typing: true }));
    await elsewhere.drain();
    expect(await tab1.next('typing')).toEqual({ type: 'typing', typing: false });
    expect(await tab2.next('typing')).toEqual({ type: 'typing', typing: false });
    expect(await bystander.next('typing')).toEqual({ type: 'typing', typing: true });
    expect(bystander.frames.filter((f) => f.type === 'typing')).toEqual([]);
    await Promise.all([tab1.close(), tab2.close(), bystander.close()]);
  });

  it('refuses an outbound message that no conversation stored, with a reason', async () => {
    const outcome = await web.transport.send(
      { version: 1, id: randomUUID(), tenant: 'acme', channel: 'chat', conversationId: randomUUID(), to: { id: 'AAAAAAAAAAAAAAAAAAAAAA', idType: 'opaque' }, timestamp: new Date().toISOString(), text: 'hi' },
      { tenant: 'acme', channel: 'chat' },
    );
    expect(outcome).toMatchObject({ kind: 'failed', reason: expect.stringContaining('NotInHistory') as unknown });
    const foreign = await web.transport.send(
      { version: 1, id: randomUUID(), tenant: 'acme', channel: 'chat', conversationId: randomUUID(), to: { id: 'a.>', idType: 'opaque' }, timestamp: new Date().toISOString(), text: 'hi' },
      { tenant: 'acme', channel: 'chat' },
    );
    expect(foreign).toMatchObject({ kind: 'failed', reason: expect.stringContaining('UnknownCustomer') as unknown });
  });
});

describe('attachments and limits', () => {
  it('stores an upload, sends it in a message, and serves it only through its signed link', async () => {
    const { token, customerId } = (await openSession()).body;
    const png = Buffer.from('89504e470d0a1a0a', 'hex');
    const res = await fetch(`${web.url}/web/v1/acme/chat/attachments?filename=receipt.png`, { method: 'POST', headers: { origin: SITE, authorization: `Bearer ${token}`, 'content-type': 'image/png' }, body: png });
    expect(res.status).toBe(201);
    const attachment = (await res.json()) as { id: string; url: string; contentType: string; filename: string; size: number };
    expect(attachment).toMatchObject({ contentType: 'image/png', filename: 'receipt.png', size: png.length });

    const download = await fetch(attachment.url);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(png);
    expect((await fetch(attachment.url.replace(/sig=.*/, 'sig=AAAA'))).status).toBe(404);
    expect((await fetch(attachment.url.replace('/acme/', '/globex/'))).status).toBe(404);

    const customer = await CustomerClient.connect(web.url, token);
    const id = randomUUID();
    customer.send({ type: 'message', id, attachments: [attachment.id] });
    await customer.next('ack', (f) => f.id === id);
    const stored = await waitFor(() => parley().store.db.selectFrom('messages').select('attachments').where('platform_message_id', '=', `${customerId}:${id}`).executeTakeFirst());
    expect(stored.attachments).toEqual([{ url: attachment.url, contentType: 'image/png', filename: 'receipt.png', size: png.length }]);

    // Someone else's upload id cannot be attached.
    const intruder = await CustomerClient.connect(web.url, (await openSession()).body.token);
    intruder.send({ type: 'message', id: randomUUID(), attachments: [attachment.id] });
    expect((await intruder.next('error')).code).toBe('invalidRequest');
    await intruder.close();
    await customer.close();
  });

  it('answers 413 to an oversize upload and 415 to a refused type', async () => {
    const { token } = (await openSession()).body;
    const big = await fetch(`${web.url}/web/v1/acme/chat/attachments`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'image/png' }, body: Buffer.alloc(65 * 1024) });
    expect(big.status).toBe(413);
    const html = await fetch(`${web.url}/web/v1/acme/chat/attachments`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/html' }, body: '<script>' });
    expect(html.status).toBe(415);
  });

  it('limits messages per session and says so', async () => {
    const { token } = (await openSession('globex')).body;
    const customer = await CustomerClient.connect(web.url, token);
    const ids = Array.from({ length: 21 }, () => randomUUID());
    for (const id of ids) customer.send({ type: 'message', id, text: 'spam' });
    const refused = await customer.next('error', (f) => f.code === 'rateLimited');
    expect(refused.id).toBe(ids[20]);
    await customer.close();
  });

  it('answers a malformed frame with an error and keeps the socket open', async () => {
    const { token } = (await openSession()).body;
    const customer = await CustomerClient.connect(web.url, token);
    customer.ws.send('{not json');
    expect((await customer.next('error')).code).toBe('invalidRequest');
    customer.send({ type: 'message', id: 'x', text: 'hi' });
    expect((await customer.next('error')).message).toContain('id');
    expect(customer.closed).toBeUndefined();
    await customer.close();
  });
});
