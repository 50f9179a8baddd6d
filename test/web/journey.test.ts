import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localMinuteIn } from '../../src/contract/index.ts';
import { ParleyClient, signToken } from '../../src/gateway/index.ts';
import { freePort } from '../support/free-port.ts';
import { startTestServices, waitFor, type TestServices } from '../support/services.ts';
import { signInLocally } from '../support/desktop-setup.ts';
import { buildWebApp, launchBrowser, screenshot, seriousViolations } from './browser.ts';

/**
 * Issue 15's story in one browser journey, with one conversation all the way, against
 * `parley up` (a child process, as a developer runs it) on the machine's real NATS and
 * PostgreSQL, in Debian's Chromium:
 *
 *  1. a supervisor fills the response library;
 *  2. a customer writes in the widget on up's try page (the one `<script>` tag);
 *  3. Alice's desktop rings, she accepts with the keyboard only, sees the history, answers
 *     with a canned response (variables filled) and quick replies;
 *  4. the customer clicks a quick reply, which reaches Alice;
 *  5. Alice transfers to Bob, who accepts and wraps up with a code and a note;
 *  6. the supervisor's queue view counts it, the interactions view lists it, and its CSV
 *     export holds exactly its row;
 *  7. an evaluator scores the conversation, and the agent report credits Bob with the score
 *     (then the same screen in French).
 *
 * axe-core runs on every screen (no serious or critical violation); a screenshot of each is
 * saved in test-artifacts/journey/ (gitignored), numbered in the journey's order.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const SHOTS = join(root, 'test-artifacts/journey');
const TENANT = 'acme';
const SECRET = 'journey-test-secret-0123456789abcdef';
const FIRST_MESSAGE = 'Hello, my parcel 4521 has not arrived';
// A web visitor has no name yet: Liquid's default filter covers it (docs/desktop.md §4).
const GREETING = 'Hello {{ customer.name | default: "there" }}, this is {{ agent.name }} from {{ conversation.queue }}. Which delivery is it?';

/** The page's globals, inside `page.evaluate` (the test's TypeScript has no DOM types). */
type PageGlobals = { document: { activeElement: { textContent: string | null } | null } };

const config = (channelsOrigin: string) => `---
apiVersion: parley.dev/v1alpha1
kind: Queue
metadata: { name: support, namespace: ${TENANT} }
spec:
  method: longest-idle
  serviceLevel: { percentage: 80, within: 60s }
  wrapUp:
    codes:
      - { code: resolved, label: Resolved }
      - { code: redelivery, label: Redelivery booked }
---
apiVersion: parley.dev/v1alpha1
kind: Channel
metadata: { name: chat, namespace: ${TENANT} }
spec:
  type: web
  queue: support
  web:
    # The try page is the channels role's own: its origin is the one the widget runs on.
    allowedOrigins: ["${channelsOrigin}"]
    offlineMessage: { en: "We are offline." }
`;

describe('the web app journey: widget, desktop, transfer, supervision, export, quality', () => {
  let services: TestServices;
  let up: ChildProcess | undefined;
  let output = '';
  let dataDir: string;
  let configDir: string;
  let widgetDir: string;
  let app: Awaited<ReturnType<typeof buildWebApp>>;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let gatewayUrl: string;
  let channelsUrl: string;
  let admin: ParleyClient;
  let customer: Page;
  let alice: Page;
  let bob: Page;
  let sam: Page;
  let conversationId: string;

  beforeAll(async () => {
    const temp = (prefix: string) => mkdtemp(join(tmpdir(), prefix));
    [dataDir, configDir, widgetDir] = await Promise.all([temp('parley-journey-'), temp('parley-journey-config-'), temp('parley-journey-widget-')]);
    const widget = build({ configFile: join(root, 'web/widget/vite.config.ts'), logLevel: 'warn', build: { outDir: widgetDir } });
    [app, services] = await Promise.all([buildWebApp(), startTestServices(), widget]);
    const channelsPort = await freePort();
    await writeFile(join(configDir, `${TENANT}.yaml`), config(`http://127.0.0.1:${channelsPort}`));

    const env = {
      ...process.env,
      NATS_URL: services.natsUrl,
      DATABASE_URL: services.databaseUrl,
      PARLEY_DATA: dataDir,
      PARLEY_CONFIG: configDir,
      PARLEY_PORT: '0',
      PARLEY_OPS_PORT: '0',
      PARLEY_CHANNELS_PORT: String(channelsPort),
      PARLEY_WEB_APP: app.dir,
      PARLEY_WIDGET_SCRIPT: join(widgetDir, 'widget.js'),
      PARLEY_AUTH_SECRET: SECRET,
      PARLEY_LOG_LEVEL: 'warn',
    };
    const child = spawn(process.execPath, ['bin/parley.js', 'up'], { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: root });
    up = child;
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Parley is up.')) resolve();
      });
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`parley up exited with ${code}:\n${output}`)));
    });
    gatewayUrl = /agent API \(HTTP \+ WebSocket\)\s+(http:\/\/\S+)\/v1/.exec(output)?.[1] ?? '';
    channelsUrl = /web messaging widget\s+(http:\/\/\S+)\/web\/v1\/widget\.js/.exec(output)?.[1] ?? '';
    expect(output).toMatch(/agent desktop \(web app\)\s+http:\/\/\S+\/app\//);
    expect(output).toContain('PostgreSQL (DATABASE_URL)');
    expect(gatewayUrl && channelsUrl, output).toBeTruthy();

    admin = new ParleyClient({ baseUrl: gatewayUrl, token: signToken(SECRET, { sub: 'ops', tenant: TENANT, role: 'admin' }) });
    await admin.configureAgent('alice', { name: 'Alice Dupont', skills: [], capacity: { webchat: 2 } });
    await admin.configureAgent('bob', { name: 'Bob Martin', skills: [], capacity: { webchat: 2 } });
    await waitFor(async () => ((await admin.getAgent('bob').catch(() => undefined)) ? true : undefined), { what: 'the agents to exist' });
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    if (up && up.exitCode === null) {
      const exited = new Promise((resolve) => up?.once('exit', resolve));
      up.kill('SIGTERM');
      await exited;
    }
    await services?.stop();
    await app?.remove();
    await Promise.all([dataDir, configDir, widgetDir].filter(Boolean).map((d) => rm(d, { recursive: true, force: true })));
  });

  /** Each screen: a numbered screenshot, then axe-core (serious and critical fail the test). */
  async function checkScreen(page: Page, name: string): Promise<void> {
    await screenshot(page, name, SHOTS);
    expect(await seriousViolations(page), `axe on ${name}`).toEqual([]);
  }

  const signIn = (page: Page, sub: string, role: 'agent' | 'supervisor') => signInLocally(page, gatewayUrl, TENANT, sub, role);

  async function goAvailable(page: Page): Promise<void> {
    await page.getByText('Connected', { exact: true }).waitFor();
    await page.getByLabel('Presence').selectOption('available');
    await waitFor(async () => ((await page.getByLabel('Presence').inputValue()) === 'available' ? true : undefined), { what: 'presence to show available' });
  }

  it('a supervisor adds a canned response with variables to the library', async () => {
    sam = await browser.context.newPage();
    await sam.goto(`${gatewayUrl}/app/`);
    await checkScreen(sam, '01-sign-in');
    await signIn(sam, 'sam', 'supervisor');
    await sam.getByRole('button', { name: 'Response library' }).click();
    await sam.getByRole('button', { name: 'New response' }).click();
    await sam.getByLabel('Shortcut').fill('parcel');
    await sam.getByLabel('Title').fill('Late parcel');
    await sam.getByLabel(/^Text/).fill(GREETING);
    await sam.getByRole('button', { name: 'Save' }).click();
    await sam.getByRole('cell', { name: 'Late parcel', exact: true }).waitFor();
    await checkScreen(sam, '02-response-library');
  }, 60_000);

  it('a customer writes in the widget on the try page, and Alice’s desktop rings', async () => {
    alice = await browser.context.newPage();
    await signIn(alice, 'alice', 'agent');
    await goAvailable(alice);
    await checkScreen(alice, '03-desktop-available');

    customer = await browser.context.newPage();
    await customer.goto(`${channelsUrl}/web/try/${TENANT}/chat`);
    // The page embeds the widget with the one <script> tag a company's site would use.
    expect(await customer.locator(`script[src="/web/v1/widget.js"][data-channel-key="${TENANT}/chat"]`).count()).toBe(1);
    await customer.getByRole('button', { name: 'Chat with us' }).click();
    await customer.getByRole('dialog', { name: 'Chat' }).waitFor();
    await customer.keyboard.type(FIRST_MESSAGE);
    await customer.keyboard.press('Enter');
    await customer.getByText(FIRST_MESSAGE).waitFor();
    await checkScreen(customer, '04-widget-customer-wrote');

    await alice.getByRole('listitem', { name: /^New conversation from .* on chat$/ }).waitFor();
    await alice.getByRole('progressbar').waitFor();
    const offer = await waitFor(async () => (await admin.getAgent('alice')).offers[0], { what: 'the offer to Alice' });
    conversationId = offer.conversationId;
    await checkScreen(alice, '05-offer-ringing');
  }, 60_000);

  it('Alice accepts with the keyboard only and sees the history', async () => {
    // The focus moved to Accept when the offer rang: Enter takes it, no mouse involved.
    await waitFor(async () => ((await alice.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.textContent)) === 'Accept' ? true : undefined), {
      what: 'Accept to have the focus',
    });
    await alice.keyboard.press('Enter');
    await alice.getByRole('heading', { name: /on chat$/ }).waitFor();
    await alice.getByRole('feed').getByText(FIRST_MESSAGE).waitFor();
    await checkScreen(alice, '06-conversation');
  }, 60_000);

  it('she answers with the canned response, its variables filled, and quick replies', async () => {
    const reply = alice.getByRole('textbox', { name: 'Reply', exact: true });
    await alice.getByRole('button', { name: 'Canned responses' }).click();
    await alice.getByLabel('Search canned responses').fill('parcel');
    await alice.getByRole('button', { name: /Late parcel/ }).click();
    const text = 'Hello there, this is Alice Dupont from support. Which delivery is it?';
    await waitFor(async () => ((await reply.inputValue()) === text ? true : undefined), { what: 'the canned response, filled, in the reply box' });
    await alice.getByRole('button', { name: 'Quick replies' }).click();
    await alice.getByLabel('Quick-reply options, one per line').fill('The latest one\nAn older one');
    await checkScreen(alice, '07-composer');
    await alice.getByRole('button', { name: 'Send' }).click();
    await alice.getByRole('feed').getByText('Quick replies: The latest one, An older one').waitFor();

    await customer.getByText(text).waitFor();
    await customer.getByRole('group', { name: 'Suggested answers' }).getByRole('button', { name: 'The latest one' }).waitFor();
    await checkScreen(customer, '08-widget-quick-replies');
  }, 60_000);

  it('the customer clicks a quick reply, and Alice sees it', async () => {
    // Alice's own message already names the option: the click adds the customer's.
    const mentions = () => alice.getByRole('feed').getByText('The latest one', { exact: true }).count();
    const before = await mentions();
    await customer.getByRole('group', { name: 'Suggested answers' }).getByRole('button', { name: 'The latest one' }).click();
    await expect.poll(mentions, { timeout: 20_000 }).toBeGreaterThan(before);
    await checkScreen(alice, '09-quick-reply-received');
  }, 60_000);

  it('Alice transfers to Bob, who accepts, sees the history and wraps up with a code and a note', async () => {
    bob = await browser.context.newPage();
    await signIn(bob, 'bob', 'agent');
    await goAvailable(bob);

    await alice.getByRole('button', { name: 'Transfer' }).click();
    const dialog = alice.getByRole('dialog', { name: 'Transfer the conversation' });
    await dialog.getByLabel('To an agent').check();
    await dialog.getByLabel('Agent', { exact: true }).selectOption('bob');
    await dialog.getByLabel('Note for the next agent (optional)').fill('Parcel 4521 lost: book a redelivery.');
    await checkScreen(alice, '10-transfer');
    await dialog.getByRole('button', { name: 'Transfer' }).click();
    await alice.getByText('Pick a conversation in the list.').waitFor();

    const ringing = bob.getByRole('listitem', { name: /^New conversation from .* on chat$/ });
    await ringing.waitFor();
    // Bob's card says who handed it over, by the name his desktop knows her by.
    await ringing.getByText('Transferred by Alice Dupont').waitFor();
    await ringing.getByText('Parcel 4521 lost: book a redelivery.').waitFor();
    await checkScreen(bob, '11-transfer-ringing');
    await bob.getByRole('button', { name: 'Accept' }).click();
    const feed = bob.getByRole('feed');
    await feed.getByText(FIRST_MESSAGE).waitFor();
    await feed.getByText('Quick replies: The latest one, An older one').waitFor();
    await bob.getByRole('button', { name: 'Wrap up and close' }).click();
    const wrapUp = bob.getByRole('dialog', { name: 'Wrap up' });
    await wrapUp.getByLabel('Wrap-up code').selectOption({ label: 'Redelivery booked' });
    await wrapUp.getByLabel('Notes').fill('Redelivery of parcel 4521 booked for tomorrow.');
    await checkScreen(bob, '12-wrap-up');
    await wrapUp.getByRole('button', { name: 'Close conversation' }).click();
    await bob.getByText('Pick a conversation in the list.').waitFor();
    // The customer's widget learns the conversation ended only when it does: nothing to wait for there.
  }, 90_000);

  it('the supervisor’s queue view counts the conversation', async () => {
    await sam.getByRole('button', { name: 'Live views' }).click();
    await sam.getByRole('table', { name: 'Queue activity (live)' }).waitFor();
    const cell = (field: string) => sam.locator(`tr[data-queue="support"] td[data-field="${field}"]`);
    const shows = async (field: string, value: string | RegExp) => {
      let text = '';
      await waitFor(
        async () => {
          text = (await cell(field).textContent()) ?? '';
          return (typeof value === 'string' ? text === value : value.test(text)) ? true : undefined;
        },
        { what: `support's ${field} to show ${String(value)}` },
      ).catch((err: unknown) => {
        throw new Error(`support's ${field} shows ${text}, not ${String(value)}`, { cause: err });
      });
    };
    // The queue counts what entered it (reports.md): the customer's arrival, and the
    // transfer to Bob, which went through it again; each was answered.
    await shows('offered', '2');
    await shows('answered', '2');
    await shows('abandoned', '0');
    await shows('waiting', '0');
    await shows('serviceLevel', /^100 %/);
    // The agent status board: both back to available, nothing held.
    for (const name of ['Alice Dupont', 'Bob Martin']) {
      const row = sam.getByRole('row', { name: new RegExp(name) });
      await row.getByRole('cell', { name: 'Available' }).waitFor();
      await row.getByText('web chat: 0 of 2').waitFor();
    }
    await checkScreen(sam, '13-queue-activity');
  }, 60_000);

  it('the interactions view lists it in a time-of-day range, and the CSV export downloads exactly its row', async () => {
    await sam.getByRole('button', { name: 'Interactions', exact: true }).click();
    const rows = sam.locator('.interactions tbody tr');
    await waitFor(async () => ((await rows.count()) === 1 ? true : undefined), { what: 'the one conversation listed' });
    // The last hour, to the minute, on Tokyo's clock (whatever the browser's zone): still its row.
    const filters = sam.getByRole('form', { name: 'Filters' });
    const tokyo = (at: number) => localMinuteIn('Asia/Tokyo', at);
    await filters.getByLabel('Time zone').fill('Asia/Tokyo');
    await filters.getByLabel('From').fill(tokyo(Date.now() - 3_600_000));
    await filters.getByLabel('Until').fill(tokyo(Date.now() + 60_000));
    await filters.getByRole('button', { name: 'Search' }).click();
    await sam.getByRole('status').filter({ hasText: 'Interactions shown: 1' }).waitFor();
    expect(await rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-id')).toBe(conversationId);
    await waitFor(async () => ((await rows.first().textContent())?.includes('redelivery') ? true : undefined), { what: 'the wrap-up code in the row' });
    await checkScreen(sam, '14-interactions');

    const [download] = await Promise.all([sam.waitForEvent('download'), sam.getByRole('button', { name: 'Export CSV' }).click()]);
    // Named after the range on Tokyo's clock; its times are given on that clock too.
    expect(download.suggestedFilename()).toMatch(/^interactions-\d{4}-\d\d-\d\dT\d{4}-\d{4}-\d\d-\d\dT\d{4}\.csv$/);
    const records = parse<Record<string, string>>(await readFile(await download.path(), 'utf8'), { columns: true, skip_empty_lines: true });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ conversationId, kind: 'conversation', direction: 'inbound', channel: 'chat', queue: 'support', wrapUpCode: 'redelivery' });
    expect(records[0]?.startedAtLocal).toBe(new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(new Date(records[0]?.startedAt ?? '')));
    // Both agents handled it: Alice answered, Bob wrapped up.
    expect(records[0]?.agents).toMatch(/alice/);
    expect(records[0]?.agents).toMatch(/bob/);

    await rows.first().getByRole('button', { name: /^Timeline of the conversation with / }).click();
    const timeline = sam.getByRole('dialog', { name: 'Conversation timeline' });
    // Two offers, two ends: Alice's part (transferred) and Bob's (wrapped up).
    const ended = timeline.locator('li[data-kind="ended"]');
    await ended.nth(1).waitFor();
    expect(await timeline.locator('li[data-kind="offer"]').count()).toBe(2);
    expect(await timeline.locator('li[data-kind="offer"]').nth(1).textContent()).toContain('Transferred by alice');
    expect(await ended.count()).toBe(2);
    expect(await ended.nth(0).textContent()).toMatch(/alice$/);
    expect(await ended.nth(1).textContent()).toMatch(/bob, wrap-up code redelivery$/);
    await checkScreen(sam, '15-timeline');
    await sam.keyboard.press('Escape');
    await timeline.waitFor({ state: 'hidden' });
  }, 60_000);

  it('an evaluator scores the conversation, and the agent report shows the score for Bob', async () => {
    await sam.getByRole('button', { name: 'Quality' }).click();
    await sam.getByText('No evaluation form yet: create one below.').waitFor();
    await sam.getByLabel('Form name').fill('Web chat quality');
    const greeting = sam.getByRole('group', { name: 'Group 1' });
    await greeting.getByLabel('Group name').fill('Greeting');
    await greeting.getByLabel('Weight').fill('30');
    await greeting.getByLabel('Question', { exact: true }).fill('Greeted the customer?');
    await sam.getByRole('button', { name: 'Add a group' }).click();
    const resolution = sam.getByRole('group', { name: 'Group 2' });
    await resolution.getByLabel('Group name').fill('Resolution');
    await resolution.getByLabel('Weight').fill('70');
    await resolution.getByLabel('Question', { exact: true }).fill('Resolved the request?');
    await sam.getByRole('button', { name: 'Create the form' }).click();
    await sam.getByText('Form Web chat quality created.').waitFor();

    // Not greeted (0 of weight 30), resolved (weight 70): 70 %.
    const evaluate = sam.getByRole('form', { name: 'Evaluate a conversation' });
    await evaluate.getByLabel('Conversation id').fill(conversationId);
    await evaluate.getByRole('group', { name: 'Greeted the customer?' }).getByLabel('No (0 pts)').check();
    await evaluate.getByRole('group', { name: 'Resolved the request?' }).getByLabel('Yes (1 pts)').check();
    await checkScreen(sam, '16-quality');
    await evaluate.getByRole('button', { name: 'Save the evaluation' }).click();
    await evaluate.locator('[role=status]:not(:empty), [role=alert]').first().waitFor();
    // The conversation's last agent is Bob: the score is his, not Alice's.
    expect((await evaluate.locator('[role=status], [role=alert]').allInnerTexts()).filter(Boolean)).toEqual(['Evaluation saved: bob scored 70 %.']);

    await sam.getByRole('button', { name: 'Reports' }).click();
    await sam.getByLabel('Report', { exact: true }).selectOption({ label: 'Agent performance' });
    await sam.getByLabel('Rows per').selectOption({ label: 'whole period' });
    await sam.getByRole('button', { name: 'Show' }).click();
    const rowOf = (agent: string) => sam.getByRole('row').filter({ has: sam.getByRole('cell', { name: agent, exact: true }) });
    await rowOf('bob').waitFor();
    const headers = await sam.getByRole('columnheader').allInnerTexts();
    const cellsOf = async (agent: string) => {
      const cells = await rowOf(agent).getByRole('cell').allInnerTexts();
      return Object.fromEntries(headers.map((h, i) => [h, cells[i]]));
    };
    expect(await cellsOf('bob')).toMatchObject({ Agent: 'bob', Evaluations: '1', 'Average score %': '70' });
    if ((await rowOf('alice').count()) > 0) expect(await cellsOf('alice')).toMatchObject({ Agent: 'alice', Evaluations: '0' });
    await checkScreen(sam, '17-agent-report');

    // The same report in French: the table's headings switch with the language.
    await sam.getByLabel('Language').selectOption('fr');
    await sam.getByRole('heading', { name: 'Rapports historiques' }).waitFor();
    await sam.getByRole('button', { name: 'Afficher' }).click();
    await sam.getByRole('columnheader', { name: '% score moyen' }).waitFor();
    await checkScreen(sam, '18-agent-report-fr');
  }, 90_000);
});
