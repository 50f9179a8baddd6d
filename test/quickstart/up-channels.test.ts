import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParleyClient, signToken, type AgentEventStream } from '../../src/gateway/index.ts';
import type { AgentEvent, OfferCreatedEvent } from '../../src/contract/index.ts';
import { CustomerClient } from '../web-messaging/customer-client.ts';
import { sendMail, startMailSink } from '../email/mail-sink.ts';
import { freePort } from '../support/free-port.ts';
import { waitFor } from '../support/wait-for.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 'up-channels-test-secret-0123456789abcdef';

const config = (smtpPort: number) => `---
apiVersion: parley.dev/v1alpha1
kind: Queue
metadata: { name: support, namespace: acme }
spec: { method: longest-idle }
---
apiVersion: parley.dev/v1alpha1
kind: Channel
metadata: { name: chat, namespace: acme }
spec:
  type: web
  queue: support
  web:
    allowedOrigins: ["https://shop.acme.example"]
    offlineMessage: { en: "We are offline." }
---
apiVersion: parley.dev/v1alpha1
kind: Channel
metadata: { name: mail, namespace: acme }
spec:
  type: email
  queue: support
  email:
    addresses: [support@acme.example]
    fromAddress: support@acme.example
    fromName: Acme Support
    smtp: { host: 127.0.0.1, port: ${smtpPort} }
    dkim: { keySelector: s1, secrets: { privateKey: { name: mail-keys, key: dkim } } }
`;

const isOffer = (channel: string) => (e: AgentEvent): e is OfferCreatedEvent => e.type === 'offer.created' && e.channel === channel;

/**
 * `parley up` serves web messaging and e-mail: the widget script, a web customer's session
 * reaching an agent over the gateway and the agent's reply reaching the customer's socket;
 * a mail into up's SMTP listener reaching the agent and the reply leaving through the
 * Channel's SMTP relay (a test SMTP server), threaded and DKIM-signed with the key from
 * the secrets file.
 */
describe('parley up: web messaging and e-mail', () => {
  let up: ChildProcess | undefined;
  let dataDir: string;
  let configDir: string;
  let widgetDir: string;
  let sink: Awaited<ReturnType<typeof startMailSink>>;
  let channelsUrl: string;
  let smtpPort: number;
  let alice: ParleyClient;
  let events: AgentEventStream;
  let output = '';

  beforeAll(async () => {
    const temp = (prefix: string) => mkdtemp(join(tmpdir(), prefix));
    [dataDir, configDir, widgetDir] = await Promise.all([temp('parley-up-'), temp('parley-up-config-'), temp('parley-widget-')]);
    await build({ configFile: join(root, 'web/widget/vite.config.ts'), logLevel: 'warn', build: { outDir: widgetDir } });
    sink = await startMailSink();
    await writeFile(join(configDir, 'acme.yaml'), config(sink.port));
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeFile(join(dataDir, 'secrets.yaml'), `acme:\n  mail-keys:\n    dkim: |\n${privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().trim().split('\n').map((l) => `      ${l}`).join('\n')}\n`);

    const env = {
      ...process.env,
      PARLEY_DATA: dataDir,
      PARLEY_CONFIG: configDir,
      PARLEY_PORT: '0',
      PARLEY_OPS_PORT: '0',
      PARLEY_CHANNELS_PORT: '0',
      PARLEY_SMTP_PORT: String(await freePort()),
      PARLEY_WIDGET_SCRIPT: join(widgetDir, 'widget.js'),
      PARLEY_AUTH_SECRET: SECRET,
      PARLEY_LOG_LEVEL: 'warn',
      NATS_URL: '',
      DATABASE_URL: '',
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
    const gatewayUrl = /agent API \(HTTP \+ WebSocket\)\s+(http:\/\/\S+)\/v1/.exec(output)?.[1];
    channelsUrl = /web messaging widget\s+(http:\/\/\S+)\/web\/v1\/widget\.js/.exec(output)?.[1] ?? '';
    smtpPort = Number(/e-mail \(SMTP listener\)\s+smtp:\/\/[\d.]+:(\d+)/.exec(output)?.[1]);
    expect(gatewayUrl && channelsUrl && smtpPort, output).toBeTruthy();

    const admin = new ParleyClient({ baseUrl: gatewayUrl as string, token: signToken(SECRET, { sub: 'ops', tenant: 'acme', role: 'admin' }) });
    await admin.configureAgent('alice', { name: 'Alice', skills: [], capacity: { webchat: 2, email: 2 } });
    alice = new ParleyClient({ baseUrl: gatewayUrl as string, token: signToken(SECRET, { sub: 'alice', tenant: 'acme', role: 'agent' }) });
    await waitFor(async () => (await alice.getAgent('alice').catch(() => undefined)) ?? undefined, { what: 'alice to exist' });
    events = alice.events('alice');
    await events.opened;
    await alice.setPresence('alice', 'available');
  }, 180_000);

  afterAll(async () => {
    await events?.close();
    if (up && up.exitCode === null) {
      const exited = new Promise((resolve) => up?.once('exit', resolve));
      up.kill('SIGTERM');
      await exited;
    }
    await sink?.close();
    await Promise.all([dataDir, configDir, widgetDir].filter(Boolean).map((d) => rm(d, { recursive: true, force: true })));
  });

  it('serves the widget script on the channels port', async () => {
    const res = await fetch(`${channelsUrl}/web/v1/widget.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await res.text()).length).toBeGreaterThan(1000);
  });

  it('a web customer’s message reaches the agent, who answers with quick replies the customer receives and clicks', { timeout: 60_000 }, async () => {
    const origin = 'https://shop.acme.example';
    const session = await fetch(`${channelsUrl}/web/v1/acme/chat/sessions`, { method: 'POST', headers: { origin } });
    expect(session.status).toBe(201);
    const { token } = (await session.json()) as { token: string };
    const refused = await fetch(`${channelsUrl}/web/v1/acme/chat/sessions`, { method: 'POST', headers: { origin: 'https://evil.example' } });
    expect(refused.status).toBe(403);

    const customer = await CustomerClient.connect(channelsUrl, token, { origin });
    customer.send({ type: 'message', id: `m-${randomUUID()}`, text: 'Hello, where is my order?' });
    const offer = await events.next(isOffer('chat'), 20_000);
    await alice.acceptOffer('alice', offer.offerId);
    const history = await alice.history(offer.conversationId);
    expect(history.messages.map((m) => m.text)).toContain('Hello, where is my order?');

    await alice.sendMessage(offer.conversationId, { content: [{ type: 'quickReplies', text: 'Is it order 4521?', options: [{ text: 'Yes', payload: 'order:yes' }, { text: 'No', payload: 'order:no' }] }] });
    const reply = await customer.next('message', (f) => f.message.direction === 'outbound', 20_000);
    expect(reply.message.content?.[0]).toMatchObject({ type: 'quickReplies', text: 'Is it order 4521?' });

    customer.send({ type: 'postback', id: `p-${randomUUID()}`, text: 'Yes', payload: 'order:yes' });
    const clicked = await events.next((e) => e.type === 'conversation.message' && e.conversationId === offer.conversationId && e.message.text === 'Yes', 20_000);
    expect(clicked.type).toBe('conversation.message');
    await customer.close();
    // Done: the agent is free for the mail below.
    await alice.closeConversation(offer.conversationId);
    await events.next((e) => e.type === 'conversation.ended' && e.conversationId === offer.conversationId, 20_000);
  });

  it('a mail to the SMTP listener reaches the agent; the reply leaves through the relay, threaded and DKIM-signed', { timeout: 60_000 }, async () => {
    const messageId = `<${randomUUID()}@customer.example>`;
    await sendMail(smtpPort, { from: 'Camille <camille@customer.example>', to: 'support@acme.example', subject: 'Broken kettle', text: 'It stopped working.', messageId });
    const offer = await events.next(isOffer('mail'), 20_000);
    await alice.acceptOffer('alice', offer.offerId);
    await alice.sendMessage(offer.conversationId, { text: 'Sorry to hear that: we are sending a new one.' });
    const mail = await waitFor(() => sink.received.find((m) => m.rcptTo.includes('camille@customer.example')), { what: 'the reply at the relay', timeoutMs: 20_000 });
    expect(mail.parsed.subject).toBe('Re: Broken kettle');
    expect(mail.parsed.inReplyTo).toBe(messageId);
    expect(mail.parsed.from?.value[0]).toMatchObject({ address: 'support@acme.example', name: 'Acme Support' });
    expect(mail.parsed.text).toContain('we are sending a new one');
    // Unfolded header lines: the key came from the secrets file, by the Channel's reference.
    expect(mail.raw.toString().replace(/\r?\n[ \t]+/g, ' ')).toMatch(/^DKIM-Signature: .*d=acme\.example;.* s=s1;/m);
  });
});
