import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParleyClient, signToken } from '../../src/gateway/index.ts';
import type { Gateway } from '../../src/gateway/index.ts';
import { createLogger } from '../../src/observability/index.ts';
import { startReportFolder, type ReportFolder } from '../../src/reports/index.ts';
import { queueActivityNotifier } from '../../src/supervision/index.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { channel, queue, startParley } from '../support/parley.ts';
import type { RunningParley } from '../support/parley.ts';
import { startTestServices, waitFor } from '../support/services.ts';
import type { TestServices } from '../support/services.ts';
import { configureAgents, signInLocally, startDesktopGateway } from '../support/desktop-setup.ts';
import { buildWebApp, launchBrowser, screenshot, seriousViolations } from './browser.ts';

/**
 * The supervisor's screens in Debian's Chromium, against a real gateway, router and report
 * folder on real NATS and PostgreSQL: a WhatsApp conversation routed to Alice and answered
 * shows in the queue activity without a reload, then in the interactions view, where a
 * filter narrows the rows, the CSV download holds exactly the filtered rows and the
 * timeline shows the routing decision. axe-core on each screen; screenshots in
 * test-artifacts/web.
 */

const TENANT = 'acme';
const SECRET = 'supervisor-test-secret-0123456789abcdef';

describe('supervisor views in a browser', () => {
  let services: TestServices;
  let parley: RunningParley;
  let gateway: Gateway;
  let folder: ReportFolder;
  let app: Awaited<ReturnType<typeof buildWebApp>>;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let sam: Page;
  let alice: ParleyClient;
  let answeredId: string;

  beforeAll(async () => {
    app = await buildWebApp();
    services = await startTestServices();
    parley = await startParley(services.natsUrl, services.databaseUrl, [
      channel(TENANT, 'whatsapp', { type: 'whatsapp', queue: 'support' }),
      channel(TENANT, 'sms', { type: 'sms', queue: 'billing' }),
      queue(TENANT, 'support', { wrapUp: { codes: [{ code: 'resolved', label: 'Resolved' }] } }),
      queue(TENANT, 'billing'),
    ]);
    // What every router runs: the report folder, which also cues the supervisor streams.
    folder = startReportFolder({ db: parley.store.db, logger: createLogger({}, { level: 'warn' }), metrics: queueActivityNotifier(parley.nc), pollMs: 100 });
    gateway = await startDesktopGateway(parley, SECRET, app.dir);
    // Messaging only: an SMS waits in billing, nobody can take it.
    await configureAgents(gateway.url, SECRET, TENANT, { alice: { name: 'Alice Dupont', skills: [], capacity: { message: 2 } } });
    alice = new ParleyClient({ baseUrl: gateway.url, token: signToken(SECRET, { sub: 'alice', tenant: TENANT, role: 'agent' }) });
    await alice.setPresence('alice', 'available');
    browser = await launchBrowser();
    sam = await browser.context.newPage();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    await folder?.stop();
    await parley?.stop();
    await services?.stop();
    await app?.remove();
  });

  async function expectAccessible(page: Page, screen: string): Promise<void> {
    await screenshot(page, screen);
    expect(await seriousViolations(page), `axe on ${screen}`).toEqual([]);
  }

  const cell = (queueName: string, field: string) => sam.locator(`tr[data-queue="${queueName}"] td[data-field="${field}"]`);
  const textIs = async (queueName: string, field: string, value: string) => ((await cell(queueName, field).textContent()) === value ? true : undefined);

  it('the queue activity follows a conversation routed and answered, without a reload', async () => {
    await signInLocally(sam, gateway.url, TENANT, 'sam', 'supervisor');
    await sam.getByRole('button', { name: 'Live views' }).click();
    await sam.getByRole('table', { name: 'Queue activity (live)' }).waitFor();
    await cell('support', 'waiting').waitFor();
    expect(await cell('support', 'offered').textContent()).toBe('0');
    await expectAccessible(sam, 'supervisor-01-queues-idle');

    await new CustomerDriver(parley.nc, TENANT, 'whatsapp', { id: '+33612345678', idType: 'phone', name: 'Camille Martin' }).say('Hello, where is my parcel?');
    await new CustomerDriver(parley.nc, TENANT, 'sms', { id: '+33698765432', idType: 'phone', name: 'Dominique Petit' }).say('Invoice question');
    const offer = await waitFor(async () => (await alice.getAgent('alice')).offers[0], { what: 'the offer to ring' });
    await waitFor(() => textIs('support', 'offered', '1'), { what: 'support to show one offered' });
    await waitFor(() => textIs('billing', 'waiting', '1'), { what: 'billing to show one waiting' });

    await alice.acceptOffer('alice', offer.offerId);
    answeredId = offer.conversationId;
    await waitFor(() => textIs('support', 'answered', '1'), { what: 'support to show it answered' });
    await waitFor(() => textIs('support', 'waiting', '0'), { what: 'support to show nobody waiting' });
    expect(await cell('support', 'serviceLevel').textContent()).toMatch(/^100 %/);
    await alice.closeConversation(answeredId, 'resolved');
    await expectAccessible(sam, 'supervisor-02-queues-live');
  }, 120_000);

  it('the interactions view lists it, a filter narrows, the CSV has the filtered rows, the timeline shows the routing decision', async () => {
    await sam.getByRole('button', { name: 'Interactions', exact: true }).click();
    const rows = sam.locator('.interactions tbody tr');
    await waitFor(async () => ((await rows.count()) === 2 ? true : undefined), { what: 'both conversations listed' });
    await expectAccessible(sam, 'supervisor-03-interactions');

    await sam.getByLabel('Channel').fill('whatsapp');
    await sam.getByRole('button', { name: 'Search' }).click();
    await waitFor(async () => ((await rows.count()) === 1 ? true : undefined), { what: 'the filter to narrow to one row' });
    expect(await rows.first().getAttribute('data-id')).toBe(answeredId);
    await waitFor(async () => ((await rows.first().textContent())?.includes('resolved') ? true : undefined), { what: 'the wrap-up code' });

    const [download] = await Promise.all([sam.waitForEvent('download'), sam.getByRole('button', { name: 'Export CSV' }).click()]);
    const path = await download.path();
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    expect(lines[0]).toMatch(/^startedAt,endedAt,startedAtLocal,endedAtLocal,kind,direction,channel,queue/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(answeredId);
    expect(lines[1]).toContain(',whatsapp,support,');
    expect(download.suggestedFilename()).toMatch(/^interactions-.*\.csv$/);

    await sam.getByRole('button', { name: 'Timeline of the conversation with Camille Martin' }).click();
    const dialog = sam.getByRole('dialog', { name: 'Conversation timeline' });
    const offerEntry = dialog.locator('li[data-kind="offer"]');
    await offerEntry.waitFor();
    expect(await offerEntry.textContent()).toMatch(/to alice from support\. Routing decision: method: longest-idle, .*candidates: 1/);
    expect(await dialog.locator('li[data-kind="queued"]').count()).toBe(1);
    expect(await dialog.locator('li[data-kind="ended"]').textContent()).toContain('wrap-up code resolved');
    await expectAccessible(sam, 'supervisor-04-timeline');
    await sam.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
  }, 120_000);
});
