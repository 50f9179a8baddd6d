import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachmentLimitsOf } from '../../src/channels/index.ts';
import { ConfigRegistry } from '../../src/config/index.ts';
import { Attachment, OutboundMessage } from '../../src/contract/index.ts';
import type { Role } from '../../src/gateway/index.ts';
import { linkSignature } from '../../src/gateway/agent-attachments.ts';
import { channel, queue } from '../support/parley.ts';
import { OTHER_TENANT, TENANT, startFixture, type GatewayFixture } from './fixture.ts';
import { seedConversation, seedCustomer } from './seed.ts';

const LINK_KEY = 'agent-attachment-test-key-0123456789abcdef';
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

/** Files agents upload to send (POST /v1/conversations/:id/attachments) and the signed links providers fetch. */
describe('agent attachment uploads', () => {
  let fx: GatewayFixture;
  let webConversation: string;
  let whatsappConversation: string;
  let bobConversation: string;
  let foreignConversation: string;

  const upload = async (conversationId: string, who: [string, Role, string?], body: Buffer, contentType: string, filename = 'photo.png') => {
    const res = await fetch(`${fx.gateway.url}/v1/conversations/${conversationId}/attachments?filename=${encodeURIComponent(filename)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fx.token(...who)}`, 'content-type': contentType },
      body,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const alice: [string, Role] = ['alice', 'agent'];

  beforeAll(async () => {
    const config = new ConfigRegistry();
    config.apply([
      channel(TENANT, 'web-chat', { type: 'web', queue: 'support' }),
      channel(TENANT, 'wa', { type: 'whatsapp', queue: 'support' }),
      queue(TENANT, 'support'),
      channel(OTHER_TENANT, 'web-chat', { type: 'web', queue: 'support' }),
      queue(OTHER_TENANT, 'support'),
    ]);
    fx = await startFixture({ config, webAppDir: false, attachments: { secret: LINK_KEY } });
    const db = fx.store.db;
    const customer = await seedCustomer(db, TENANT);
    webConversation = await seedConversation(db, { tenant: TENANT, customerId: customer, agentId: 'alice' });
    whatsappConversation = await seedConversation(db, { tenant: TENANT, customerId: customer, agentId: 'alice', channel: 'wa' });
    bobConversation = await seedConversation(db, { tenant: TENANT, customerId: customer, agentId: 'bob' });
    const foreign = await seedCustomer(db, OTHER_TENANT);
    foreignConversation = await seedConversation(db, { tenant: OTHER_TENANT, customerId: foreign, agentId: 'alice' });
  });

  afterAll(async () => {
    await fx?.stop();
  });

  it('stores the assigned agent’s file and answers a contract Attachment whose link serves the same bytes', async () => {
    const { status, body } = await upload(webConversation, alice, PNG, 'image/png', 'C:\\pics\\photo.png');
    expect(status).toBe(201);
    const attachment = Attachment.parse(body);
    expect(attachment).toMatchObject({ contentType: 'image/png', filename: 'photo.png', size: PNG.length });
    expect(attachment.url).toMatch(new RegExp(`^${fx.gateway.url}/v1/attachments/[0-9a-f-]{36}\\?expires=\\d+&sig=`));
    // It goes out in a reply as the contract defines it.
    expect(OutboundMessage.shape.attachments.parse([attachment])).toEqual([attachment]);

    // No token: the provider fetching it holds none.
    const served = await fetch(attachment.url);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer())).toEqual(PNG);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(served.headers.get('content-disposition')).toBe('inline; filename="photo.png"');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(served.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
  });

  it('serves a document as a download, never rendered', async () => {
    const { body } = await upload(webConversation, alice, Buffer.from('%PDF-1.4 invoice'), 'application/pdf', 'invoice.pdf');
    const served = await fetch(Attachment.parse(body).url);
    expect(served.headers.get('content-disposition')).toBe('attachment; filename="invoice.pdf"');
    expect(await served.text()).toBe('%PDF-1.4 invoice');
  });

  it('refuses a forged, altered or expired link', async () => {
    const { body } = await upload(webConversation, alice, PNG, 'image/png');
    const url = new URL(Attachment.parse(body).url);
    const id = url.pathname.split('/').pop()!;
    const ask = async (expires: number, sig: string) => {
      const res = await fetch(`${fx.gateway.url}/v1/attachments/${id}?expires=${expires}&sig=${sig}`);
      return { status: res.status, type: ((await res.json()) as { type: string }).type };
    };
    const expires = Number(url.searchParams.get('expires'));
    expect(await ask(expires, 'A'.repeat(43))).toEqual({ status: 404, type: 'unknownAttachment' });
    // A later expiry with the old signature: the expiry is signed too.
    expect(await ask(expires + 3600, url.searchParams.get('sig')!)).toEqual({ status: 404, type: 'unknownAttachment' });
    // Signed with another key (another deployment's, or a guess).
    expect(await ask(expires, linkSignature(Buffer.from('another-key-0123456789abcdef-0123456789'), id, expires))).toEqual({ status: 404, type: 'unknownAttachment' });
    const past = Math.floor(Date.now() / 1000) - 1;
    expect(await ask(past, linkSignature(Buffer.from(LINK_KEY), id, past))).toEqual({ status: 410, type: 'attachmentLinkExpired' });
    // Another id under a genuine signature of this one.
    const other = await fetch(`${fx.gateway.url}/v1/attachments/${randomUUID()}${url.search}`);
    expect(other.status).toBe(404);
  });

  it('holds the file to the channel’s size limit, before and while reading it', async () => {
    const max = attachmentLimitsOf('whatsapp').maxBytes;
    const tooLarge = await upload(whatsappConversation, alice, Buffer.alloc(max + 1), 'image/png');
    expect(tooLarge).toMatchObject({ status: 413, body: { type: 'payloadTooLarge', detail: `the channel takes files up to ${max} bytes` } });
    // No Content-Length to trust: a streamed body is cut off at the limit.
    const chunks = [Buffer.alloc(max), Buffer.alloc(1)];
    const streamed = await fetch(`${fx.gateway.url}/v1/conversations/${whatsappConversation}/attachments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fx.token(...alice)}`, 'content-type': 'image/png' },
      body: new ReadableStream({
        pull: (controller) => {
          const next = chunks.shift();
          if (next) controller.enqueue(next);
          else controller.close();
        },
      }),
      duplex: 'half',
    });
    expect(streamed.status).toBe(413);
    expect((await upload(whatsappConversation, alice, Buffer.alloc(max), 'image/png')).status).toBe(201);
    expect(await upload(webConversation, alice, Buffer.alloc(0), 'image/png')).toMatchObject({ status: 400, body: { type: 'invalidEnvelope' } });
  });

  it('refuses a media type the channel does not take, naming those it does', async () => {
    const gif = await upload(whatsappConversation, alice, Buffer.from('GIF89a'), 'image/gif', 'a.gif');
    expect(gif).toMatchObject({ status: 415, body: { type: 'unsupportedMediaType' } });
    expect(gif.body.detail).toContain(attachmentLimitsOf('whatsapp').types.join(', '));
    expect((await upload(webConversation, alice, Buffer.from('<script>'), 'text/html', 'x.html')).status).toBe(415);
    expect((await upload(webConversation, alice, PNG, 'image/gif', 'a.gif')).status).toBe(201);
  });

  it('lets only the agent assigned to the conversation upload, in their own tenant', async () => {
    expect(await upload(bobConversation, alice, PNG, 'image/png')).toMatchObject({ status: 403, body: { type: 'forbidden' } });
    // A supervisor replies only in a conversation assigned to them, as with messages.
    expect(await upload(webConversation, ['sam', 'supervisor'], PNG, 'image/png')).toMatchObject({ status: 403, body: { type: 'forbidden' } });
    // Another tenant's conversation reads like a missing one, even for an agent of the same id.
    expect(await upload(foreignConversation, alice, PNG, 'image/png')).toMatchObject({ status: 404, body: { type: 'unknownConversation' } });
    expect(await upload(randomUUID(), alice, PNG, 'image/png')).toMatchObject({ status: 404, body: { type: 'unknownConversation' } });
    expect((await upload(foreignConversation, ['alice', 'agent', OTHER_TENANT], PNG, 'image/png')).status).toBe(201);
    const anonymous = await fetch(`${fx.gateway.url}/v1/conversations/${webConversation}/attachments`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: PNG });
    expect(anonymous.status).toBe(401);
  });

  it('answers 503 from a gateway that signs no links', async () => {
    const bare = await fx.startGateway({ attachments: undefined });
    const res = await fetch(`${bare.url}/v1/conversations/${webConversation}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${fx.token(...alice)}`, 'content-type': 'image/png' }, body: PNG });
    expect(res.status).toBe(503);
  });
});
