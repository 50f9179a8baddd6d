import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordOptOut } from '../../src/compliance/index.ts';
import type { Gateway } from '../../src/gateway/index.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { channel, outboundReader, queue, startParley } from '../support/parley.ts';
import type { RunningParley } from '../support/parley.ts';
import { startTestServices, waitFor } from '../support/services.ts';
import type { TestServices } from '../support/services.ts';
import type { ChannelService } from '../../src/channel-service/index.ts';
import type { ProviderFake } from '../support/provider-fakes/provider-fake.ts';
import { PHONE_NUMBER_ID, startWhatsAppFake } from '../support/whatsapp-channel.ts';
import { configureAgents, signInLocally, startDesktopGateway } from '../support/desktop-setup.ts';
import { buildWebApp, launchBrowser, screenshot, seriousViolations } from './browser.ts';

/**
 * An agent starts an outbound conversation from the desktop, in Debian's Chromium against
 * a real gateway and router: "New message" by keyboard, an SMS to a customer, the
 * conversation in the inbox, the customer's reply in it; an opted-out customer is refused
 * with the reason, in French too; a WhatsApp customer outside the 24 h window is reached
 * with an approved template, which the fake Cloud API receives. axe-core on each screen; screenshots in test-artifacts/web.
 */

const TENANT = 'acme';
const SECRET = 'outbound-desktop-secret-0123456789abcdef';

describe('an agent starts an outbound conversation from the desktop', () => {
  let services: TestServices;
  let parley: RunningParley;
  let gateway: Gateway;
  let app: Awaited<ReturnType<typeof buildWebApp>>;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let alice: Page;
  let whatsAppApi: ProviderFake;
  let channels: ChannelService;

  beforeAll(async () => {
    app = await buildWebApp();
    services = await startTestServices();
    const whatsapp = await startWhatsAppFake(TENANT);
    whatsAppApi = whatsapp.fake;
    const orderReady = { name: 'order_ready', language: 'en_US', label: 'Order ready', body: 'Hello {{1}}, your order {{2}} is ready for pickup.' };
    parley = await startParley(services.natsUrl, services.databaseUrl, [
      channel(TENANT, 'sms', { type: 'sms', queue: 'support' }),
      channel(TENANT, 'whatsapp', { type: 'whatsapp', queue: 'support', provider: whatsapp.provider, whatsapp: { templates: [orderReady] } }),
      channel(TENANT, 'chat', { type: 'web', queue: 'support' }),
      queue(TENANT, 'support'),
    ]);
    channels = await whatsapp.startChannels(parley);
    gateway = await startDesktopGateway(parley, SECRET, app.dir);
    await configureAgents(gateway.url, SECRET, TENANT, { alice: { name: 'Alice Dupont', skills: [], capacity: { sms: 2, message: 1 } } });
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    await channels?.close();
    await parley?.stop();
    await whatsAppApi?.close();
    await services?.stop();
    await app?.remove();
  });

  async function expectAccessible(page: Page, screen: string): Promise<void> {
    await screenshot(page, screen);
    expect(await seriousViolations(page), `axe on ${screen}`).toEqual([]);
  }

  it('Alice writes first to a customer by SMS, and the reply arrives in that conversation', async () => {
    const outbound = await outboundReader(parley.nc, 'outbound-desktop-test');
    alice = await browser.context.newPage();
    await signInLocally(alice, gateway.url, TENANT, 'alice', 'agent');
    await alice.getByText('Connected', { exact: true }).waitFor();
    await alice.getByLabel('Presence').selectOption('available');
    await waitFor(async () => ((await alice.getByLabel('Presence').inputValue()) === 'available' ? true : undefined), { what: 'presence to show available' });

    // Keyboard only: focus "New message", open it with Enter, fill the form with Tab and type.
    await alice.getByRole('button', { name: 'New message' }).focus();
    await alice.keyboard.press('Enter');
    const dialog = alice.getByRole('dialog', { name: 'Start a conversation' });
    await dialog.waitFor();
    // Web messaging does not let agents write first: it is not offered.
    expect(await dialog.getByLabel('Channel').locator('option').allTextContents()).toEqual(['sms (sms)', 'whatsapp (whatsapp)']);
    // Templates are a WhatsApp matter: none on SMS.
    expect(await dialog.getByLabel('Use a template').count()).toBe(0);
    await expectAccessible(alice, 'outbound-01-new-message');
    await dialog.getByLabel('Customer').focus();
    await alice.keyboard.type('+33 6 12 00 00 77');
    await alice.keyboard.press('Tab');
    await alice.keyboard.type('Hello, your parcel is ready for pickup.');
    await alice.keyboard.press('Tab');
    await alice.keyboard.press('Enter');

    const sent = await outbound.next();
    expect(sent).toMatchObject({ channel: 'sms', agentId: 'alice', to: { id: '+33612000077', idType: 'phone' }, text: 'Hello, your parcel is ready for pickup.' });
    await alice.getByRole('status').getByText('Conversation started with +33 6 12 00 00 77').waitFor();
    // In the inbox, open, with the first message.
    await alice.getByRole('heading', { name: /on sms/ }).waitFor();
    const feed = alice.getByRole('feed');
    await feed.getByText('Hello, your parcel is ready for pickup.').waitFor();

    await new CustomerDriver(parley.nc, TENANT, 'sms', { id: '+33612000077', idType: 'phone' }).say('Thanks, I will come tomorrow');
    await feed.getByText('Thanks, I will come tomorrow').waitFor();
    const rows = await parley.store.db.selectFrom('conversations').select(['id', 'state', 'agent_id']).where('tenant', '=', TENANT).execute();
    expect(rows).toEqual([{ id: sent.conversationId, state: 'connected', agent_id: 'alice' }]);
    await expectAccessible(alice, 'outbound-02-reply');
  }, 120_000);

  it('a WhatsApp customer who has not written in 24 h: free text is refused, an approved template goes out as the Cloud API takes it', async () => {
    await alice.getByRole('button', { name: 'New message' }).click();
    const dialog = alice.getByRole('dialog', { name: 'Start a conversation' });
    await dialog.getByLabel('Channel').selectOption('whatsapp');
    await dialog.getByLabel('Customer').fill('+33612000079');
    await dialog.getByLabel('First message').fill('Hello');
    await dialog.getByRole('button', { name: 'Send' }).click();
    await dialog.getByRole('alert').getByText('The customer has not written on this channel in the last 24 hours: only an approved template may be sent.').waitFor();
    // The dialog turns to the channel's templates at once.
    expect(await dialog.getByLabel('Use a template').isChecked()).toBe(true);
    expect(await dialog.getByLabel('Template').locator('option').allTextContents()).toEqual(['Order ready (en_US)']);
    await dialog.getByLabel('Parameter 1').fill('Jo');
    const preview = dialog.getByRole('status', { name: 'What the customer will read' });
    expect(await preview.textContent()).toBe('Hello Jo, your order {{2}} is ready for pickup.');
    await dialog.getByLabel('Parameter 2').fill('A-1042');
    expect(await preview.textContent()).toBe('Hello Jo, your order A-1042 is ready for pickup.');
    await expectAccessible(alice, 'outbound-03-whatsapp-template');

    const calls = whatsAppApi.calls.length;
    await dialog.getByRole('button', { name: 'Send' }).click();
    const [call] = (await whatsAppApi.received(calls + 1)).slice(calls);
    expect(call?.path).toBe(`/v23.0/${PHONE_NUMBER_ID}/messages`);
    expect(call?.parsed).toMatchObject({
      to: '+33612000079',
      type: 'template',
      template: { name: 'order_ready', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Jo' }, { type: 'text', text: 'A-1042' }] }] },
    });
    await alice.getByRole('status').getByText('Conversation started with +33612000079').waitFor();
    // The conversation opens with what the customer read.
    await alice.getByRole('heading', { name: /on whatsapp/ }).waitFor();
    await alice.getByRole('feed').getByText('Hello Jo, your order A-1042 is ready for pickup.').waitFor();
    await expectAccessible(alice, 'outbound-04-whatsapp-started');
  }, 60_000);

  it('a customer who opted out is refused with the reason, in English and French', async () => {
    await recordOptOut(parley.store.db, { tenant: TENANT, address: '+33612000078', method: 'api', source: 'test' });
    await alice.getByRole('button', { name: 'New message' }).click();
    const dialog = alice.getByRole('dialog', { name: 'Start a conversation' });
    await dialog.getByLabel('Customer').fill('+33612000078');
    await dialog.getByLabel('First message').fill('Hello');
    await dialog.getByRole('button', { name: 'Send' }).click();
    await dialog.getByRole('alert').getByText('This customer opted out or is on a do-not-contact list: nothing may be sent.').waitFor();
    await expectAccessible(alice, 'outbound-05-opted-out');
    await alice.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    await alice.getByLabel('Language').selectOption('fr');
    await alice.getByRole('button', { name: 'Nouveau message' }).click();
    const french = alice.getByRole('dialog', { name: 'Démarrer une conversation' });
    await french.getByLabel('Client').fill('+33612000078');
    await french.getByLabel('Premier message').fill('Bonjour');
    await french.getByRole('button', { name: 'Envoyer' }).click();
    await french.getByRole('alert').getByText('Ce client s’est désinscrit ou figure sur une liste d’opposition : rien ne peut lui être envoyé.').waitFor();
    await expectAccessible(alice, 'outbound-06-opted-out-fr');

    // The template picker in French.
    await french.getByLabel('Canal').selectOption('whatsapp');
    await french.getByLabel('Utiliser un modèle').check();
    await french.getByLabel('Modèle', { exact: true }).waitFor();
    await french.getByLabel('Paramètre 1').fill('Jo');
    expect(await french.getByRole('status', { name: 'Ce que le client lira' }).textContent()).toBe('Hello Jo, your order {{2}} is ready for pickup.');
    await expectAccessible(alice, 'outbound-07-template-fr');
  }, 60_000);
});
