import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { Registry } from 'prom-client';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticSecrets, startChannelService, type ChannelService } from '../../src/channel-service/index.ts';
import type { Gateway } from '../../src/gateway/index.ts';
import { createLogger } from '../../src/observability/index.ts';
import { freePort } from '../support/free-port.ts';
import { channel, queue, startParley, type RunningParley } from '../support/parley.ts';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';
import { configureAgents, signInLocally, startDesktopGateway } from '../support/desktop-setup.ts';
import { buildWebApp, launchBrowser, screenshot, seriousViolations } from './browser.ts';

/**
 * Web messaging end to end in Debian's Chromium: a customer writes in the widget on the
 * test page the channels role serves, Alice's desktop (the web app on the gateway) rings,
 * she accepts, the customer's typing shows on her desktop and hers in the widget, she
 * answers with quick replies,
 * and the customer clicks one, which reaches her desktop; she attaches a file from her disk,
 * which the customer receives as a link to the same bytes. Real NATS, PostgreSQL, router,
 * gateway and channels role; screenshots in test-artifacts/web.
 */

const TENANT = 'acme';
const SECRET = 'widget-desktop-test-secret-0123456789';
/** A 1×1 PNG: what Alice attaches from her disk. */
const PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the widget on the channels role and the agent desktop', () => {
  let services: TestServices;
  let parley: RunningParley;
  let gateway: Gateway;
  let channels: ChannelService;
  let app: Awaited<ReturnType<typeof buildWebApp>>;
  let widgetDir: string;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let alice: Page;
  let customer: Page;

  beforeAll(async () => {
    widgetDir = await mkdtemp(join(tmpdir(), 'parley-widget-'));
    [app] = await Promise.all([buildWebApp(), build({ configFile: join(root, 'web/widget/vite.config.ts'), logLevel: 'warn', build: { outDir: widgetDir } })]);
    services = await startTestServices();
    const port = await freePort();
    const channelsUrl = `http://127.0.0.1:${port}`;
    parley = await startParley(services.natsUrl, services.databaseUrl, [
      queue(TENANT, 'support'),
      // The test page is the channels role's own: its origin is the one the widget runs on.
      channel(TENANT, 'chat', { type: 'web', queue: 'support', web: { allowedOrigins: [channelsUrl], offlineMessage: { en: 'We are offline.' } } }),
    ]);
    const logger = createLogger({}, { level: 'warn' });
    gateway = await startDesktopGateway(parley, SECRET, app.dir, { attachments: { secret: randomBytes(32) } });
    channels = await startChannelService({
      nc: parley.nc,
      db: parley.store.db,
      config: parley.config,
      secrets: staticSecrets({}),
      registry: new Registry(),
      logger,
      port,
      web: { secret: randomBytes(32), tryPage: true, options: { widgetScriptPath: join(widgetDir, 'widget.js') } },
    });
    await configureAgents(gateway.url, SECRET, TENANT, { alice: { name: 'Alice Dupont', skills: [], capacity: { webchat: 2 } } });
    browser = await launchBrowser();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await channels?.close();
    await gateway?.close();
    await parley?.stop();
    await services?.stop();
    await app?.remove();
    if (widgetDir) await rm(widgetDir, { recursive: true, force: true });
  });

  it('Alice signs in and goes available', async () => {
    alice = await browser.context.newPage();
    await signInLocally(alice, gateway.url, TENANT, 'alice', 'agent');
    await alice.getByText('Connected', { exact: true }).waitFor();
    await alice.getByLabel('Presence').selectOption('available');
    await waitFor(async () => ((await alice.getByLabel('Presence').inputValue()) === 'available' ? true : undefined), { what: 'presence to show available' });
  }, 60_000);

  it('a customer writes in the widget on the test page, and Alice’s desktop rings', async () => {
    customer = await browser.context.newPage();
    await customer.goto(`${channels.url}/web/try/${TENANT}/chat`);
    await customer.getByRole('button', { name: 'Chat with us' }).click();
    await customer.getByRole('dialog', { name: 'Chat' }).waitFor();
    await customer.keyboard.type('Hello, my parcel is late');
    await customer.keyboard.press('Enter');
    await alice.getByRole('listitem', { name: /^New conversation from .* on chat$/ }).waitFor();
    await screenshot(customer, 'widget-01-customer-wrote');
    await screenshot(alice, 'widget-02-offer-ringing');
    expect(await seriousViolations(customer)).toEqual([]);
  }, 60_000);

  it('Alice accepts, sees the message, and answers with quick replies the customer sees', async () => {
    await alice.getByRole('button', { name: 'Accept' }).click();
    await alice.getByRole('feed').getByText('Hello, my parcel is late').waitFor();
    // Typing both ways: the customer's shows on the desktop, Alice's in the widget.
    await customer.getByRole('textbox').first().pressSequentially('It was');
    await alice.getByRole('status').filter({ hasText: /is typing…$/ }).waitFor();
    await screenshot(alice, 'widget-03-customer-typing');
    await alice.getByRole('textbox', { name: 'Reply', exact: true }).pressSequentially('Sorry about that! Which order is it?');
    await customer.getByRole('status').filter({ hasText: 'An agent is typing…' }).waitFor();
    await alice.getByRole('button', { name: 'Quick replies' }).click();
    await alice.getByLabel('Quick-reply options, one per line').fill('The last one\nAn older one');
    await screenshot(alice, 'widget-04-composer');
    await alice.getByRole('button', { name: 'Send' }).click();

    await customer.getByText('Sorry about that! Which order is it?').waitFor();
    const replies = customer.getByRole('group', { name: 'Suggested answers' });
    await replies.getByRole('button', { name: 'The last one' }).waitFor();
    await screenshot(customer, 'widget-05-quick-replies');
    expect(await seriousViolations(customer)).toEqual([]);
  }, 60_000);

  it('the customer clicks a quick reply, which reaches Alice’s desktop', async () => {
    // The feed already names the option in Alice's own message: the click adds the customer's.
    const mentions = () => alice.getByRole('feed').getByText('The last one', { exact: true }).count();
    const before = await mentions();
    await customer.getByRole('group', { name: 'Suggested answers' }).getByRole('button', { name: 'The last one' }).click();
    await expect.poll(mentions, { timeout: 20_000 }).toBeGreaterThan(before);
    await screenshot(alice, 'widget-06-click-received');
    expect(await seriousViolations(alice)).toEqual([]);
  }, 60_000);

  it('Alice attaches a file by the picker and sends it; the customer’s link serves the same bytes', async () => {
    // The channel's limits are shown before any file is picked.
    await alice.getByRole('list', { name: 'Channel limits' }).getByText(/^Files up to 10 MB: JPEG, PNG, GIF, WEBP, PDF, TXT$/).waitFor();
    const picker = alice.waitForEvent('filechooser');
    // From the keyboard: the button opens the system's file picker.
    await alice.getByRole('button', { name: 'Attach file' }).focus();
    await alice.keyboard.press('Enter');
    await (await picker).setFiles({ name: 'label.png', mimeType: 'image/png', buffer: PIXEL });
    const uploads = alice.getByRole('list', { name: 'Files attached to the reply' });
    await uploads.getByText('attached', { exact: true }).waitFor();
    await uploads.getByRole('img', { name: 'label.png' }).waitFor();
    // A file the channel does not take is refused before it travels, and says why.
    await alice.locator('.composer input[type=file]').setInputFiles({ name: 'page.html', mimeType: 'text/html', buffer: Buffer.from('<p>hi</p>') });
    await uploads.getByRole('alert').filter({ hasText: 'page.html not attached: the channel takes only JPEG, PNG, GIF, WEBP, PDF, TXT' }).waitFor();
    await screenshot(alice, 'widget-07-file-attached');
    expect(await seriousViolations(alice)).toEqual([]);
    await uploads.getByRole('button', { name: 'Remove page.html' }).click();
    // Dropped on the reply box, or pasted into it, a file is attached the same way.
    // (A script string: the test's TypeScript has no DOM types.)
    await alice.evaluate(`{
      const dropped = new DataTransfer();
      dropped.items.add(new File(['%PDF-1.4'], 'dropped.pdf', { type: 'application/pdf' }));
      document.querySelector('form.composer').dispatchEvent(new DragEvent('drop', { dataTransfer: dropped, bubbles: true, cancelable: true }));
      const pasted = new DataTransfer();
      pasted.items.add(new File(['GIF89a'], 'pasted.gif', { type: 'image/gif' }));
      document.querySelector('#composer-text').dispatchEvent(new ClipboardEvent('paste', { clipboardData: pasted, bubbles: true, cancelable: true }));
    }`);
    for (const name of ['dropped.pdf', 'pasted.gif']) {
      const item = uploads.getByRole('listitem').filter({ has: alice.getByRole('button', { name: `Remove ${name}` }) });
      await item.getByText('attached', { exact: true }).waitFor();
      await item.getByRole('button', { name: `Remove ${name}` }).click();
    }

    await alice.getByRole('textbox', { name: 'Reply', exact: true }).fill('Here is your return label');
    await alice.getByRole('button', { name: 'Send' }).click();
    await uploads.waitFor({ state: 'detached' });

    const link = customer.getByRole('link', { name: 'label.png' });
    await link.waitFor();
    await screenshot(customer, 'widget-08-file-received');
    const href = await link.getAttribute('href');
    expect(href).toMatch(new RegExp(`^${gateway.url}/v1/attachments/`));
    // Fetched as a provider would: no session, no cookie.
    const served = await fetch(href!);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await served.arrayBuffer())).toEqual(PIXEL);
  }, 60_000);
});
