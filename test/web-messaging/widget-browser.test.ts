import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode } from '../../src/contract/index.ts';
import { startWebMessaging, webSubjects, type RunningWebMessaging } from '../../src/web-messaging/index.ts';
import { AgentDriver } from '../support/agent-driver.ts';
import { channel, outboundReader, queue, useParley } from '../support/parley.ts';
import { waitFor } from '../support/wait-for.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const artifacts = join(root, '.cache', 'artifacts', 'web-widget');
/** The flags of ../shared/ENVIRONMENT.md: no sandbox (root), and no background traffic on the closed network. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const parley = useParley([queue('acme', 'support'), channel('acme', 'chat', { type: 'web', queue: 'support' })]);

let web: RunningWebMessaging;
let site: FastifyInstance;
let siteUrl: string;
let context: BrowserContext;
let profile: string;
let buildDir: string;

beforeAll(async () => {
  // The widget exactly as `npm run build:widget` makes it, into a folder of this run.
  buildDir = await mkdtemp(join(tmpdir(), 'parley-widget-'));
  await build({ configFile: join(root, 'web/widget/vite.config.ts'), logLevel: 'warn', build: { outDir: buildDir } });

  // The company's site: another origin than the Parley server, as in production. (The page
  // is rendered on request, when the server's URL is known.)
  site = Fastify();
  const shopPage = (lang: string) => (_request: FastifyRequest, reply: FastifyReply) =>
    reply.type('text/html').send(`<!doctype html><html lang="${lang}"><head><title>Shop</title></head><body><main><h1>Shop</h1></main>
<script src="${web.url}/web/v1/widget.js" data-channel-key="acme/chat" async></script></body></html>`);
  site.get('/', shopPage('en'));
  site.get('/fr', shopPage('fr'));
  await site.listen({ port: 0, host: '127.0.0.1' });
  siteUrl = `http://127.0.0.1:${(site.server.address() as AddressInfo).port}`;

  const { nc, store } = parley();
  web = await startWebMessaging({
    nc,
    db: store.db,
    secret: randomBytes(32),
    channels: (tenant, name) => (tenant === 'acme' && name === 'chat' ? { allowedOrigins: [siteUrl], offlineMessage: { en: 'We are offline right now.', fr: 'Nous sommes absents.' } } : undefined),
    options: { widgetScriptPath: join(buildDir, 'widget.js') },
  });

  profile = await mkdtemp(join(tmpdir(), 'parley-chromium-'));
  context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  await mkdir(artifacts, { recursive: true });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await web?.close();
  await site?.close();
  await Promise.all([profile, buildDir].filter(Boolean).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function seriousAxeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axe.source });
  // A string: this runs in the page (whose globals Node's types do not have).
  const result = await page.evaluate<axe.AxeResults>("axe.run(document, { resultTypes: ['violations'] })");
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`);
}

describe('the web-messaging widget in Chromium', () => {
  it('a customer writes, gets an answer with quick replies, clicks one, and finds the history after a reload', async () => {
    const { nc } = parley();
    const page = await context.newPage();
    await page.goto(siteUrl);

    // The launcher, then the panel, by keyboard; the Channel's offline message while nobody is available.
    const launcher = page.getByRole('button', { name: 'Chat with us' });
    await launcher.focus();
    await page.keyboard.press('Enter');
    const panel = page.getByRole('dialog', { name: 'Chat' });
    await expect.poll(() => panel.isVisible()).toBe(true);
    await page.getByText('We are offline right now.').waitFor();
    await page.screenshot({ path: join(artifacts, '1-offline.png') });
    expect(await seriousAxeViolations(page)).toEqual([]);

    const agent = new AgentDriver(nc, 'acme', 'bob');
    await agent.configure([], { webchat: 2 });
    await agent.presence('available');

    // The customer writes (the field has focus once the panel opens).
    await page.keyboard.type('Hello from the browser');
    await page.keyboard.press('Enter');
    const conversationId = await agent.acceptNextOffer();
    const first = await waitFor(() => parley().store.db.selectFrom('messages').select('text').where('conversation_id', '=', conversationId).executeTakeFirst());
    expect(first.text).toBe('Hello from the browser');
    // The ack told the widget an agent is available now.
    await page.getByText('We are offline right now.').waitFor({ state: 'detached' });

    // Agent typing shows; the agent's answer with quick replies appears, pushed to the socket.
    nc.publish(webSubjects.agentTyping('acme'), encode({ conversationId, agentId: 'bob', typing: true }));
    await page.getByRole('status').filter({ hasText: 'An agent is typing…' }).waitFor();
    const outbound = await outboundReader(nc, `widget-${randomUUID().slice(0, 8)}`);
    const sent = await agent.command({
      type: 'message.send',
      conversationId,
      text: 'Which order is it about?',
      content: [{ type: 'quickReplies', text: 'Which order is it about?', options: [{ text: 'The last one', payload: 'ORDER_LAST' }, { text: 'An older one', payload: 'ORDER_OLDER' }] }],
    });
    expect(sent.ok).toBe(true);
    expect((await web.transport.send(await outbound.next(), { tenant: 'acme', channel: 'chat' })).kind).toBe('accepted');
    await page.getByText('Which order is it about?').waitFor();
    const replies = page.getByRole('group', { name: 'Suggested answers' });
    await replies.getByRole('button', { name: 'The last one' }).waitFor();
    await page.screenshot({ path: join(artifacts, '2-quick-replies.png') });
    expect(await seriousAxeViolations(page)).toEqual([]);

    // Clicking a quick reply sends its postback.
    await replies.getByRole('button', { name: 'The last one' }).click();
    const click = await agent.next('conversation.message', (e) => e.message.direction === 'inbound' && e.message.content?.[0]?.type === 'buttonResponse');
    expect(click.message.content).toEqual([{ type: 'buttonResponse', text: 'The last one', payload: 'ORDER_LAST' }]);
    await replies.waitFor({ state: 'detached' });

    // An attachment: chosen, uploaded, sent, and the agent gets its link.
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
    await page.locator('input[type=file]').setInputFiles({ name: 'receipt.png', mimeType: 'image/png', buffer: png });
    await page.locator('.chips').getByText('receipt.png').waitFor();
    await page.getByRole('button', { name: 'Send' }).click();
    const withFile = await agent.next('conversation.message', (e) => e.message.direction === 'inbound' && (e.message.attachments?.length ?? 0) > 0);
    expect(withFile.message.attachments?.[0]).toMatchObject({ contentType: 'image/png', filename: 'receipt.png', size: png.length });
    expect(Buffer.from(await (await fetch(withFile.message.attachments?.[0]?.url ?? '')).arrayBuffer())).toEqual(png);

    // A reload resumes the session and shows the whole conversation.
    await page.reload();
    await page.getByRole('button', { name: 'Chat with us' }).click();
    const log = page.getByRole('log', { name: 'Conversation' });
    await log.getByText('The last one').waitFor();
    const items = await log.locator('li.message').allInnerTexts();
    expect(items.map((text) => text.replace(/\s+/g, ' ').trim())).toEqual(['You: Hello from the browser', 'Agent: Which order is it about?', 'You: The last one', 'You:']);
    await log.getByRole('img', { name: 'receipt.png' }).waitFor();
    await page.screenshot({ path: join(artifacts, '3-after-reload.png') });

    // Escape closes the panel and gives the focus back to the launcher.
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    expect(await page.evaluate("document.getElementById('parley-widget').shadowRoot.activeElement?.className")).toBe('launcher');

    // An answer while the panel is closed: the launcher counts it, opening reads it.
    const later = await agent.command({ type: 'message.send', conversationId, text: 'Found it: it ships tomorrow.' });
    expect(later.ok).toBe(true);
    expect((await web.transport.send(await outbound.next(), { tenant: 'acme', channel: 'chat' })).kind).toBe('accepted');
    await page.getByRole('button', { name: 'Chat with us 1 new messages' }).click();
    await page.getByText('Found it: it ships tomorrow.').waitFor();
    await page.getByRole('button', { name: 'Close the chat', exact: true }).last().waitFor();
    expect(await page.locator('.badge').count()).toBe(0);
    await agent.presence('offline'); // the next customers are not bob's
    agent.stop();
    await page.close();
  });

  it('renders list pickers, time pickers, rich links and forms, and sends the choices and answers', async () => {
    const { nc } = parley();
    // A new customer: a browser profile of its own, without the first test's session.
    const freshProfile = await mkdtemp(join(tmpdir(), 'parley-chromium-'));
    const fresh = await chromium.launchPersistentContext(freshProfile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
    const page = await fresh.newPage();
    await page.goto(siteUrl);
    const agent = new AgentDriver(nc, 'acme', 'carol');
    await agent.configure([], { webchat: 2 });
    await agent.presence('available');
    await page.getByRole('button', { name: 'Chat with us' }).click();
    // Typed into the field itself: the panel may not have moved the focus there yet.
    const field = page.getByRole('textbox', { name: 'Write a message…' });
    await field.fill('I want to return my shoes');
    await field.press('Enter');
    const conversationId = await agent.acceptNextOffer();

    const outbound = await outboundReader(nc, `widget-rich-${randomUUID().slice(0, 8)}`);
    const sent = await agent.command({
      type: 'message.send',
      conversationId,
      text: 'Let us sort it out.',
      content: [
        { type: 'listPicker', title: 'Which store?', sections: [{ title: 'Paris', items: [{ title: 'Rivoli', subtitle: '75001', payload: 'store:rivoli' }, { title: 'Bastille', payload: 'store:bastille' }] }] },
        { type: 'timePicker', title: 'When can we call?', timeZone: 'Europe/Paris', slots: [{ start: '2026-12-08T08:00:00Z', durationMinutes: 30, payload: 'call:0900' }] },
        { type: 'richLink', url: 'https://shop.example.com/returns', title: 'Our return policy' },
        {
          type: 'form',
          title: 'Your return',
          payload: 'return-form:4521',
          fields: [
            { name: 'order', label: 'Order number', kind: 'text', required: true },
            { name: 'reason', label: 'Reason', kind: 'select', options: ['Too small', 'Too large'] },
          ],
        },
      ],
    });
    expect(sent.ok).toBe(true);
    // The stream holds the earlier tests' messages too: take this conversation's.
    let message = await outbound.next();
    while (message.conversationId !== conversationId) message = await outbound.next();
    expect((await web.transport.send(message, { tenant: 'acme', channel: 'chat' })).kind).toBe('accepted');
    await page.getByRole('group', { name: 'Paris' }).getByRole('button', { name: /Bastille/ }).waitFor();
    await page.getByRole('link', { name: /Our return policy/ }).waitFor();
    await page.screenshot({ path: join(artifacts, '4-rich-content.png') });
    expect(await seriousAxeViolations(page)).toEqual([]);

    // A list item and a time slot come back as postbacks.
    await page.getByRole('group', { name: 'Paris' }).getByRole('button', { name: /Bastille/ }).click();
    const store = await agent.next('conversation.message', (e) => e.message.direction === 'inbound' && e.message.content?.[0]?.type === 'buttonResponse');
    expect(store.message.content).toEqual([{ type: 'buttonResponse', text: 'Bastille', payload: 'store:bastille' }]);
    await page.getByRole('group', { name: 'When can we call?' }).getByRole('button').click();
    const slot = await agent.next('conversation.message', (e) => e.message.content?.[0]?.type === 'buttonResponse' && e.message.content[0].payload === 'call:0900');
    expect(slot.message.text).toMatch(/8/);

    // The form: a required field must be filled; the answers arrive exactly.
    const form = page.getByRole('form', { name: 'Your return' });
    await form.getByLabel('Order number').fill('4521');
    await form.getByLabel('Reason').selectOption('Too small');
    await form.getByRole('button', { name: 'Send' }).click();
    const answers = await agent.next('conversation.message', (e) => e.message.content?.[0]?.type === 'formResponse');
    expect(answers.message.content).toEqual([{ type: 'formResponse', payload: 'return-form:4521', values: { order: '4521', reason: 'Too small' } }]);
    await form.getByRole('button', { name: 'Sent' }).waitFor();
    agent.stop();
    await fresh.close();
    await rm(freshProfile, { recursive: true, force: true });
  });

  it('speaks French on a French page', async () => {
    const page = await context.newPage();
    await page.goto(`${siteUrl}/fr`);
    await page.getByRole('button', { name: 'Discuter avec nous' }).click();
    await page.getByRole('dialog', { name: 'Discussion' }).waitFor();
    await page.getByPlaceholder('Écrivez un message…').waitFor();
    await page.close();
  });
});
