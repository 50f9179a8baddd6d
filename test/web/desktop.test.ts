import type { Page } from 'playwright-core';
import { Registry } from 'prom-client';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParleyClient, signToken, startGateway } from '../../src/gateway/index.ts';
import type { Gateway, Role } from '../../src/gateway/index.ts';
import { createLogger } from '../../src/observability/index.ts';
import { readFile } from 'node:fs/promises';
import { startReportFolder, type ReportFolder } from '../../src/reports/index.ts';
import { CustomerDriver } from '../support/customer-driver.ts';
import { channel, outboundReader, queue, startParley } from '../support/parley.ts';
import type { RunningParley } from '../support/parley.ts';
import { startTestServices, waitFor } from '../support/services.ts';
import type { TestServices } from '../support/services.ts';
import { signInLocally } from '../support/desktop-setup.ts';
import { buildWebApp, launchBrowser, screenshot, seriousViolations } from './browser.ts';

/**
 * The agent desktop in Debian's Chromium, against a real gateway and router on real NATS
 * and PostgreSQL: a supervisor fills the response library, Alice signs in, a WhatsApp
 * message rings her desktop, she accepts by keyboard only, answers with a canned response
 * and quick replies (checked on the outbound stream) and transfers to Bob, who wraps up.
 * Then the gateway restarts under her desktop, which resynchronizes; a 10,000-message
 * history scrolls virtualized; the supervisor's agent board follows her presence; the
 * French UI renders. axe-core runs on every screen; screenshots go to test-artifacts/web.
 */

const TENANT = 'acme';

/** The page's globals, inside `page.evaluate` (the test's TypeScript has no DOM types). */
type PageGlobals = { document: { activeElement: { textContent: string | null } | null; documentElement: { lang: string } } };
const SECRET = 'desktop-test-secret-0123456789abcdef';

describe('agent desktop in a browser', () => {
  let services: TestServices;
  let parley: RunningParley;
  let gateway: Gateway;
  let app: Awaited<ReturnType<typeof buildWebApp>>;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let outbound: Awaited<ReturnType<typeof outboundReader>>;
  let alice: Page;
  let bob: Page;
  let camille: CustomerDriver;
  let conversationId: string;
  let reports: ReportFolder;

  const startOurGateway = (port = 0) =>
    startGateway({
      nc: parley.nc,
      db: parley.store.db,
      secret: SECRET,
      port,
      registry: new Registry(),
      config: parley.config,
      localLogin: { secret: SECRET },
      webAppDir: app.dir,
      logger: createLogger({}, { level: 'warn' }),
    });

  beforeAll(async () => {
    app = await buildWebApp();
    services = await startTestServices();
    parley = await startParley(services.natsUrl, services.databaseUrl, [
      channel(TENANT, 'whatsapp', { type: 'whatsapp', queue: 'support' }),
      queue(TENANT, 'support', { wrapUp: { codes: [{ code: 'resolved', label: 'Resolved' }, { code: 'refund', label: 'Refund issued' }] } }),
      queue(TENANT, 'billing'),
    ]);
    gateway = await startOurGateway();
    reports = startReportFolder({ db: parley.store.db, logger: createLogger({}, { level: 'warn' }) });
    outbound = await outboundReader(parley.nc, 'desktop-test');
    const admin = new ParleyClient({ baseUrl: gateway.url, token: signToken(SECRET, { sub: 'ops', tenant: TENANT, role: 'admin' }) });
    await admin.configureAgent('alice', { name: 'Alice Dupont', skills: [], capacity: { message: 3 } });
    await admin.configureAgent('bob', { name: 'Bob Martin', skills: [], capacity: { message: 3 } });
    await waitFor(async () => ((await admin.getAgent('bob').catch(() => undefined)) ? true : undefined), { what: 'the agents to exist' });
    camille = new CustomerDriver(parley.nc, TENANT, 'whatsapp', { id: '+33612345678', idType: 'phone', name: 'Camille Martin' });
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await reports?.stop();
    await browser?.close();
    await gateway?.close();
    await parley?.stop();
    await services?.stop();
    await app?.remove();
  });

  const signIn = (page: Page, sub: string, role: Role) => signInLocally(page, gateway.url, TENANT, sub, role);

  async function expectAccessible(page: Page, screen: string): Promise<void> {
    await screenshot(page, screen);
    expect(await seriousViolations(page), `axe on ${screen}`).toEqual([]);
  }

  it('serves the app with immutable hashed assets and a revalidated index', async () => {
    const index = await fetch(`${gateway.url}/app/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const asset = /src="(\/app\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const script = await fetch(`${gateway.url}${asset}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    // Nothing from a CDN: every script and stylesheet is the gateway's own.
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('a supervisor adds a canned response to the library', async () => {
    const supervisor = await browser.context.newPage();
    await supervisor.goto(`${gateway.url}/app/`);
    await expectAccessible(supervisor, '01-sign-in');
    await signIn(supervisor, 'sam', 'supervisor');
    await supervisor.getByRole('button', { name: 'Response library' }).click();
    await supervisor.getByRole('button', { name: 'New response' }).click();
    await supervisor.getByLabel('Shortcut').fill('greet');
    await supervisor.getByLabel('Title').fill('Greeting');
    await supervisor.getByLabel(/^Text/).fill('Hello {{ customer.name }}, this is {{ agent.name }}. How can I help?');
    await supervisor.getByRole('button', { name: 'Save' }).click();
    await supervisor.getByRole('cell', { name: 'Greeting', exact: true }).waitFor();
    await expectAccessible(supervisor, '02-library');
    await supervisor.close();
  }, 120_000);

  it('Alice signs in, goes available, and a customer message rings her desktop', async () => {
    alice = await browser.context.newPage();
    await signIn(alice, 'alice', 'agent');
    await alice.getByText('Connected', { exact: true }).waitFor();
    await alice.getByLabel('Presence').selectOption('available');
    await waitFor(async () => ((await alice.getByLabel('Presence').inputValue()) === 'available' ? true : undefined), { what: 'presence to show available' });
    await expectAccessible(alice, '03-desktop-available');

    await camille.say('Hello, I need a refund for invoice 4521');
    await alice.getByRole('listitem', { name: 'New conversation from Camille Martin on whatsapp' }).waitFor();
    await alice.getByRole('progressbar').waitFor();
    await expectAccessible(alice, '04-offer-ringing');
  }, 120_000);

  it('she accepts with the keyboard only and sees the history', async () => {
    // Focus moved to Accept when the offer arrived: Enter takes it, no mouse involved.
    await waitFor(async () => ((await alice.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.textContent)) === 'Accept' ? true : undefined), { what: 'Accept to have the focus' });
    await alice.keyboard.press('Enter');
    await alice.getByRole('heading', { name: 'Camille Martin on whatsapp' }).waitFor();
    const feed = alice.getByRole('feed');
    await feed.getByText('Hello, I need a refund for invoice 4521').waitFor();
    const row = await parley.store.db.selectFrom('conversations').select('id').where('tenant', '=', TENANT).executeTakeFirstOrThrow();
    conversationId = row.id;
    await alice.getByText(/24-hour window: /).waitFor();
    await expectAccessible(alice, '05-conversation');
  }, 60_000);

  it('she answers with the canned response and quick replies', async () => {
    await alice.getByRole('button', { name: 'Canned responses' }).click();
    await alice.getByLabel('Search canned responses').fill('greet');
    await alice.getByRole('button', { name: /Greeting/ }).click();
    await waitFor(async () => ((await alice.getByRole('textbox', { name: 'Reply', exact: true }).inputValue()).startsWith('Hello Camille Martin') ? true : undefined), { what: 'the canned response in the reply box' });
    await alice.getByRole('button', { name: 'Quick replies' }).click();
    await alice.getByLabel('Quick-reply options, one per line').fill('Yes, a refund\nSomething else');
    await expectAccessible(alice, '06-composer');
    await alice.getByRole('button', { name: 'Send' }).click();

    const sent = await outbound.next();
    expect(sent.conversationId).toBe(conversationId);
    expect(sent.agentId).toBe('alice');
    expect(sent.text).toBe('Hello Camille Martin, this is Alice Dupont. How can I help?');
    expect(sent.content).toEqual([
      {
        type: 'quickReplies',
        text: 'Hello Camille Martin, this is Alice Dupont. How can I help?',
        options: [
          { text: 'Yes, a refund', payload: 'Yes, a refund' },
          { text: 'Something else', payload: 'Something else' },
        ],
      },
    ]);
    await alice.getByRole('feed').getByText('Quick replies: Yes, a refund, Something else').waitFor();
  }, 60_000);

  it('she transfers to Bob, who wraps up with a code and notes', async () => {
    bob = await browser.context.newPage();
    await signIn(bob, 'bob', 'agent');
    await bob.getByText('Connected', { exact: true }).waitFor();
    await bob.getByLabel('Presence').selectOption('available');

    await alice.getByRole('button', { name: 'Transfer' }).click();
    const dialog = alice.getByRole('dialog', { name: 'Transfer the conversation' });
    await dialog.getByLabel('To an agent').check();
    await dialog.getByLabel('Agent', { exact: true }).selectOption('bob');
    await expectAccessible(alice, '07-transfer');
    await dialog.getByRole('button', { name: 'Transfer' }).click();
    await alice.getByText('Pick a conversation in the list.').waitFor();

    await bob.getByRole('button', { name: 'Accept' }).click();
    await bob.getByRole('feed').getByText('Hello, I need a refund for invoice 4521').waitFor();
    await bob.getByRole('button', { name: 'Wrap up and close' }).click();
    const wrapUp = bob.getByRole('dialog', { name: 'Wrap up' });
    await wrapUp.getByLabel('Wrap-up code').selectOption({ label: 'Refund issued' });
    await wrapUp.getByLabel('Notes').fill('Refund of invoice 4521 approved.');
    await expectAccessible(bob, '08-wrap-up');
    await wrapUp.getByRole('button', { name: 'Close conversation' }).click();
    await bob.getByText('Pick a conversation in the list.').waitFor();

    // The router stores the end after the desktop's close call returns: wait for it.
    const bobsPart = () =>
      parley.store.db.selectFrom('assignments').select(['wrap_up_code', 'state']).where('conversation_id', '=', conversationId).where('agent_id', '=', 'bob').executeTakeFirstOrThrow();
    await waitFor(async () => ((await bobsPart()).state === 'ended' ? true : undefined), { what: 'Bob’s part to end' });
    expect(await bobsPart()).toEqual({ wrap_up_code: 'refund', state: 'ended' });
    const notes = await sql<{ author: string; text: string }>`select author, text from conversation_notes where conversation_id = ${conversationId}`.execute(parley.store.db);
    expect(notes.rows).toEqual([{ author: 'bob', text: 'Refund of invoice 4521 approved.' }]);
  }, 120_000);

  it('a supervisor writes an evaluation form, scores Bob on the conversation, and the agent report shows it, also as CSV', async () => {
    const sam = await browser.context.newPage();
    await signIn(sam, 'sam', 'supervisor');
    await sam.getByRole('button', { name: 'Quality' }).click();
    await sam.getByText('No evaluation form yet: create one below.').waitFor();

    // The form: two groups weighted 40 and 20, one question each.
    await sam.getByLabel('Form name').fill('Messaging quality');
    const greeting = sam.getByRole('group', { name: 'Group 1' });
    await greeting.getByLabel('Group name').fill('Greeting');
    await greeting.getByLabel('Weight').fill('40');
    await greeting.getByLabel('Question', { exact: true }).fill('Greeted the customer by name?');
    await greeting.getByLabel('critical').check();
    await sam.getByRole('button', { name: 'Add a group' }).click();
    const resolution = sam.getByRole('group', { name: 'Group 2' });
    await resolution.getByLabel('Group name').fill('Resolution');
    await resolution.getByLabel('Weight').fill('20');
    await resolution.getByLabel('Question', { exact: true }).fill('Resolved the request?');
    await expectAccessible(sam, '08a-quality-form');
    await sam.getByRole('button', { name: 'Create the form' }).click();
    await sam.getByText('Form Messaging quality created.').waitFor();

    // Bob greeted by name (1 of 1, weight 40) but did not resolve (0 of 1, weight 20): 40 / 60.
    const evaluate = sam.getByRole('form', { name: 'Evaluate a conversation' });
    await evaluate.getByLabel('Conversation id').fill(conversationId);
    await evaluate.getByRole('group', { name: 'Greeted the customer by name? (critical)' }).getByLabel('Yes (1 pts)').check();
    await evaluate.getByRole('group', { name: 'Resolved the request?' }).getByLabel('No (0 pts)').check();
    await evaluate.getByRole('button', { name: 'Save the evaluation' }).click();
    // The outcome, saved or refused (the refusal's text makes a failure say why).
    await evaluate.locator('[role=status]:not(:empty), [role=alert]').first().waitFor();
    expect((await evaluate.locator('[role=status], [role=alert]').allInnerTexts()).filter(Boolean)).toEqual(['Evaluation saved: bob scored 66.67 % (critical 100 %).']);
    await expectAccessible(sam, '08b-quality-evaluated');

    // The agent report over the last 7 days, one row per agent.
    await sam.getByRole('button', { name: 'Reports' }).click();
    await sam.getByLabel('Report', { exact: true }).selectOption({ label: 'Agent performance' });
    await sam.getByLabel('Rows per').selectOption({ label: 'whole period' });
    await sam.getByRole('button', { name: 'Show' }).click();
    const bobRow = sam.getByRole('row').filter({ has: sam.getByRole('cell', { name: 'bob', exact: true }) });
    await bobRow.waitFor();
    const headers = await sam.getByRole('columnheader').allInnerTexts();
    const cells = await bobRow.getByRole('cell').allInnerTexts();
    const bobReport = Object.fromEntries(headers.map((h, i) => [h, cells[i]]));
    expect(bobReport).toMatchObject({ Agent: 'bob', Evaluations: '1', 'Average score %': '66.67' });
    await expectAccessible(sam, '08c-reports');

    const [download] = await Promise.all([sam.waitForEvent('download'), sam.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^agents-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = (await readFile(await download.path(), 'utf8')).trim().split(/\r?\n/);
    const columns = csv[0]!.split(',');
    const rows = csv.slice(1).map((line) => Object.fromEntries(line.split(',').map((v, i): [string, string] => [columns[i] ?? '', v])));
    const bobLine = rows.find((r) => r.agent === 'bob');
    expect(bobLine).toMatchObject({ agent: 'bob', evaluations: '1', averageScore: '66.67' });
    await sam.close();
  }, 120_000);

  it('through a gateway restart, the desktop reconnects and resynchronizes', async () => {
    await bob.getByLabel('Presence').selectOption('offline');
    await waitFor(async () => ((await bob.getByLabel('Presence').inputValue()) === 'offline' ? true : undefined), { what: 'Bob offline' });
    const port = gateway.port;
    await gateway.close();
    await alice.locator('.connection-reconnecting').waitFor();
    // While no gateway runs, the customer writes again: the offer's event reaches no socket.
    const dominique = new CustomerDriver(parley.nc, TENANT, 'whatsapp', { id: '+33698765432', idType: 'phone', name: 'Dominique Leroy' });
    await dominique.say('Is anyone there?');
    await waitFor(
      async () => ((await parley.store.db.selectFrom('assignments').select('id').where('agent_id', '=', 'alice').where('state', '=', 'offered').executeTakeFirst()) ? true : undefined),
      { what: 'the offer to Alice', timeoutMs: 20_000 },
    );
    gateway = await startOurGateway(port);
    // The app reopened the socket and read the agent: the offer made meanwhile is shown.
    await alice.getByText('Connected', { exact: true }).waitFor({ timeout: 20_000 });
    await alice.getByRole('listitem', { name: 'New conversation from Dominique Leroy on whatsapp' }).waitFor();
    await alice.getByRole('button', { name: 'Accept' }).click();
    await alice.getByRole('feed').getByText('Is anyone there?').waitFor();
    // Live events flow on the new socket.
    await dominique.say('Hello?');
    await alice.getByRole('feed').getByText('Hello?', { exact: true }).waitFor();
    await screenshot(alice, '09-after-reconnect');
  }, 120_000);

  it('a 10,000-message history is virtualized', async () => {
    const conversation = await parley.store.db
      .selectFrom('conversations')
      .select(['id', 'customer_id'])
      .where('tenant', '=', TENANT)
      .where('agent_id', '=', 'alice')
      .executeTakeFirstOrThrow();
    await sql`
      insert into messages (id, tenant, conversation_id, customer_id, channel, direction, platform_message_id, text, sent_at)
      select gen_random_uuid(), ${TENANT}, ${conversation.id}, ${conversation.customer_id}, 'whatsapp',
             case when g % 2 = 0 then 'inbound' else 'outbound' end,
             case when g % 2 = 0 then 'old-' || g end,
             'Old message #' || g, now() - interval '30 days' + g * interval '1 second'
      from generate_series(1, 10000) g`.execute(parley.store.db);
    await alice.reload();
    const feed = alice.getByRole('feed');
    await feed.getByText('Hello?', { exact: true }).waitFor();
    expect(await feed.getAttribute('data-count')).toBe('10002');
    // Only the rows in view are in the DOM.
    expect(await feed.locator('article').count()).toBeLessThan(60);
    await feed.evaluate((el) => {
      (el as unknown as { scrollTop: number }).scrollTop = 0;
    });
    await feed.getByText('Old message #1', { exact: true }).waitFor();
    expect(await feed.locator('article').count()).toBeLessThan(60);
    await screenshot(alice, '10-long-history');
  }, 120_000);

  it('the supervisor’s agent board follows presence live, on one socket for the tenant', async () => {
    const supervisor = await browser.context.newPage();
    const sockets: string[] = [];
    supervisor.on('websocket', (ws) => sockets.push(new URL(ws.url()).pathname + '?' + (new URL(ws.url()).searchParams.get('include') ?? '')));
    await signIn(supervisor, 'sam', 'supervisor');
    await supervisor.getByRole('button', { name: 'Live views' }).click();
    const aliceRow = supervisor.getByRole('row', { name: /Alice Dupont/ });
    await aliceRow.getByRole('cell', { name: 'Available' }).waitFor();
    await aliceRow.getByText('messaging: 1 of 3').waitFor();
    // Time in state comes from the server: known before the board has seen any change.
    await aliceRow.getByRole('cell', { name: /^\d+ (s|min)$|h \d+ min$/ }).waitFor();
    await alice.getByLabel('Presence').selectOption('away');
    await aliceRow.getByRole('cell', { name: 'Away' }).waitFor();
    await aliceRow.getByRole('cell', { name: /^\d s$/ }).waitFor();
    // The board and the queue view: one stream each, none per agent.
    expect(sockets.filter((url) => url.startsWith('/v1/supervisor/events')).sort()).toEqual(['/v1/supervisor/events?agents', '/v1/supervisor/events?queues']);
    expect(sockets.filter((url) => url.startsWith('/v1/agents/alice/'))).toEqual([]);
    await expectAccessible(supervisor, '11-agent-board');
    await supervisor.close();
  }, 60_000);

  it('renders in French', async () => {
    await alice.getByLabel('Language').selectOption('fr');
    await alice.getByRole('heading', { name: 'Entrants' }).waitFor();
    expect(await alice.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.lang)).toBe('fr');
    await alice.getByRole('button', { name: 'Qualifier et clore' }).waitFor();
    await alice.getByLabel('Présence').waitFor();
    await expectAccessible(alice, '12-desktop-fr');
  }, 60_000);

});
