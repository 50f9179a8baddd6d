import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentTypingSignal, webSubjects } from '../../src/web-messaging/index.ts';
import type { Database } from '../../src/store/index.ts';
import { OTHER_TENANT, TENANT, startFixture, type GatewayFixture } from './fixture.ts';
import { seedConversation, seedCustomer, seedMessage } from './seed.ts';

/** What the e-mail channel stores for an inbound mail's attachment (src/email/email-store.ts). */
async function seedEmailAttachment(db: Kysely<Database>, seed: { tenant: string; channel: string; mailId: string; bytes: string }): Promise<string> {
  const id = randomUUID();
  await db
    .withTables<{ email_attachments: { id: string; tenant: string; channel: string; mail_id: string; filename: string | null; content_type: string; size: number; content: Buffer } }>()
    .insertInto('email_attachments')
    .values({ id, tenant: seed.tenant, channel: seed.channel, mail_id: seed.mailId, filename: 'invoice <1>.pdf', content_type: 'application/pdf', size: seed.bytes.length, content: Buffer.from(seed.bytes) })
    .execute();
  return id;
}

describe('agent typing and e-mail attachments on the gateway', () => {
  let fx: GatewayFixture;
  let aliceConversation: string;
  let bobConversation: string;
  let ownAttachment: string;
  let strangerAttachment: string;
  let foreignAttachment: string;

  const call = (path: string, token: string, init: RequestInit = {}) => fetch(`${fx.gateway.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) } });

  beforeAll(async () => {
    fx = await startFixture();
    const db = fx.store.db;
    const customer = await seedCustomer(db, TENANT);
    aliceConversation = await seedConversation(db, { tenant: TENANT, customerId: customer, agentId: 'alice', channel: 'mail' });
    const mail = await seedMessage(db, { tenant: TENANT, conversationId: aliceConversation, customerId: customer, channel: 'mail', direction: 'inbound', sentAt: '2026-11-20T09:00:00Z', text: 'see attached' });
    ownAttachment = await seedEmailAttachment(db, { tenant: TENANT, channel: 'mail', mailId: `pm-${mail}`, bytes: '%PDF-1.4 alice' });

    const other = await seedCustomer(db, TENANT);
    bobConversation = await seedConversation(db, { tenant: TENANT, customerId: other, agentId: 'bob', channel: 'mail' });
    const bobMail = await seedMessage(db, { tenant: TENANT, conversationId: bobConversation, customerId: other, channel: 'mail', direction: 'inbound', sentAt: '2026-11-20T09:00:00Z' });
    strangerAttachment = await seedEmailAttachment(db, { tenant: TENANT, channel: 'mail', mailId: `pm-${bobMail}`, bytes: '%PDF-1.4 bob' });

    const foreign = await seedCustomer(db, OTHER_TENANT);
    const foreignConversation = await seedConversation(db, { tenant: OTHER_TENANT, customerId: foreign, agentId: 'alice', channel: 'mail' });
    const foreignMail = await seedMessage(db, { tenant: OTHER_TENANT, conversationId: foreignConversation, customerId: foreign, channel: 'mail', direction: 'inbound', sentAt: '2026-11-20T09:00:00Z' });
    foreignAttachment = await seedEmailAttachment(db, { tenant: OTHER_TENANT, channel: 'mail', mailId: `pm-${foreignMail}`, bytes: '%PDF-1.4 globex' });
  });

  afterAll(async () => {
    await fx?.stop();
  });

  it('publishes the assigned agent’s typing signal for the web-messaging relay', async () => {
    const sub = fx.nc.subscribe(webSubjects.agentTyping(TENANT), { max: 1 });
    const res = await call(`/v1/conversations/${aliceConversation}/typing`, fx.token('alice', 'agent'), { method: 'POST', body: JSON.stringify({ typing: true }) });
    expect(res.status).toBe(202);
    for await (const msg of sub) expect(AgentTypingSignal.parse(msg.json())).toEqual({ conversationId: aliceConversation, agentId: 'alice', typing: true });
  });

  it('refuses typing from an agent who is not in the conversation, and a body without typing', async () => {
    expect((await call(`/v1/conversations/${bobConversation}/typing`, fx.token('alice', 'agent'), { method: 'POST', body: '{"typing":true}' })).status).toBe(403);
    expect((await call(`/v1/conversations/${aliceConversation}/typing`, fx.token('alice', 'agent'), { method: 'POST', body: '{"typing":"yes"}' })).status).toBe(400);
  });

  it('serves a mail attachment to the agent of the customer and to staff, as a download', async () => {
    for (const token of [fx.token('alice', 'agent'), fx.token('sam', 'supervisor')]) {
      const res = await call(`/v1/email-attachments/${ownAttachment}`, token);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/pdf');
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="invoice__1_.pdf"');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await res.text()).toBe('%PDF-1.4 alice');
    }
  });

  it('refuses an agent another customer’s attachment', async () => {
    const res = await call(`/v1/email-attachments/${strangerAttachment}`, fx.token('alice', 'agent'));
    expect(res.status).toBe(403);
  });

  describe('tenant isolation', () => {
    it('another tenant’s attachment is 404 unknownAttachment, exactly like a missing one, for every role', async () => {
      for (const [sub, role] of [['alice', 'agent'], ['sam', 'supervisor'], ['root', 'admin']] as const) {
        for (const id of [foreignAttachment, randomUUID()]) {
          const res = await call(`/v1/email-attachments/${id}`, fx.token(sub, role));
          expect(res.status).toBe(404);
          expect(await res.json()).toMatchObject({ type: 'unknownAttachment' });
        }
      }
      // …while a token of that tenant reads it.
      expect((await call(`/v1/email-attachments/${foreignAttachment}`, fx.token('gina', 'supervisor', OTHER_TENANT))).status).toBe(200);
    });

    it('typing in another tenant’s conversation is 404 and publishes nothing', async () => {
      const sub = fx.nc.subscribe(webSubjects.allAgentTyping);
      const res = await call(`/v1/conversations/${aliceConversation}/typing`, fx.token('alice', 'agent', OTHER_TENANT), { method: 'POST', body: '{"typing":true}' });
      expect(res.status).toBe(404);
      await fx.nc.flush();
      expect(sub.getProcessed()).toBe(0);
      sub.unsubscribe();
    });
  });
});
