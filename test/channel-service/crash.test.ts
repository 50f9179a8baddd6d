import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureStreams } from '../../src/bus/index.ts';
import { encode, subjects, type DeliveryReceipt } from '../../src/contract/index.ts';
import { migrateToLatest, openStore } from '../../src/store/index.ts';
import { trackChild } from '../support/process-cleanup.ts';
import { answers } from '../support/provider-fakes/answers.ts';
import { ProviderFake } from '../support/provider-fakes/provider-fake.ts';
import { startTestServices, type TestServices } from '../support/services.ts';
import { waitFor } from '../support/wait-for.ts';
import { providerCases } from './provider-cases.ts';

const tenant = 'demo';
const line = providerCases.find((c) => c.name === 'line')!;
const whatsapp = providerCases.find((c) => c.name === 'whatsapp')!;

let services: TestServices;
let nc: NatsConnection;
let fake: ProviderFake;
let dir: string;
const acceptedKeys = new Map<string, string>();

beforeAll(async () => {
  services = await startTestServices();
  const store = await openStore({ url: services.databaseUrl });
  await migrateToLatest(store.db);
  await store.close();
  nc = await connect({ servers: services.natsUrl });
  await ensureStreams(nc);
  // The first call of each message is taken and never answered: the caller dies meanwhile.
  // LINE remembers accepted retry keys and answers a repeat 409 with the first request's id.
  const seen = new Set<string>();
  fake = await ProviderFake.start((call) => {
    const key = String(call.headers['x-line-retry-key'] ?? (call.parsed as { biz_opaque_callback_data?: string }).biz_opaque_callback_data);
    if (!seen.has(key)) {
      seen.add(key);
      acceptedKeys.set(key, `req-${randomUUID()}`);
      return undefined;
    }
    if (call.headers['x-line-retry-key']) return { status: 409, body: { message: 'The retry key is already accepted' }, headers: { 'x-line-accepted-request-id': acceptedKeys.get(key)! } };
    return answers.whatsapp.accepted();
  });
  dir = await mkdtemp(join(tmpdir(), 'parley-crash-'));
  const resources = [
    { apiVersion: 'parley.dev/v1alpha1', kind: 'Queue', metadata: { name: 'support', namespace: tenant }, spec: {} },
    { apiVersion: 'parley.dev/v1alpha1', kind: 'Channel', metadata: { name: 'line', namespace: tenant }, spec: { type: 'line', queue: 'support', provider: line.provider(fake.url) } },
    { apiVersion: 'parley.dev/v1alpha1', kind: 'Channel', metadata: { name: 'whatsapp', namespace: tenant }, spec: { type: 'whatsapp', queue: 'support', provider: whatsapp.provider(fake.url) } },
  ];
  await writeFile(join(dir, 'resources.yaml'), resources.map((r) => stringify(r)).join('---\n'));
  await writeFile(join(dir, '..', `${dir.split('/').pop()}-secrets.yaml`), stringify({ [tenant]: { 'line-secrets': line.secrets, 'whatsapp-secrets': whatsapp.secrets } }));
});
afterAll(async () => {
  await fake?.close();
  await nc?.drain();
  await services?.stop();
  if (dir) {
    await rm(dir, { recursive: true, force: true });
    await rm(`${dir}-secrets.yaml`, { force: true });
  }
});

/** A `parley channels` process; resolves with it and its ops URL once it says it is ready. */
async function channelsProcess(): Promise<{ child: ChildProcess; ops: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cmd/channels.ts'], {
    env: {
      ...process.env,
      NATS_URL: services.natsUrl,
      DATABASE_URL: services.databaseUrl,
      PARLEY_CONFIG: dir,
      PARLEY_SECRETS_FILE: `${dir}-secrets.yaml`,
      PARLEY_CHANNELS_PORT: '0',
      PARLEY_OPS_PORT: '0',
      PARLEY_CHANNELS_ACK_WAIT_MS: '5000',
      PARLEY_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const ops = await new Promise<string>((resolve, reject) => {
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const text of lines) {
        if (!text.startsWith('{')) continue;
        const line = JSON.parse(text) as { msg?: string; ops?: string };
        if (line.msg === 'channels ready') resolve(String(line.ops));
      }
    });
    child.once('exit', (code) => reject(new Error(`parley channels exited with ${code}: ${stderr}`)));
  });
  return { child, ops };
}

describe('kill -9 of a channels process in the middle of a send', () => {
  it('loses nothing; sends again at most once (counted), and not at all to a provider with an idempotency key', async () => {
    const receipts: DeliveryReceipt[] = [];
    const sub = nc.subscribe(subjects.all.receipts, { callback: (_e, msg) => void receipts.push(msg.json<DeliveryReceipt>()) });
    const first = await channelsProcess();
    const ids = { line: randomUUID(), whatsapp: randomUUID() };
    const to = { line: { id: line.customer, idType: 'opaque' }, whatsapp: { id: whatsapp.customer, idType: 'phone' } } as const;
    for (const name of ['line', 'whatsapp'] as const) {
      const message = { version: 1, id: ids[name], tenant, channel: name, conversationId: randomUUID(), to: to[name], timestamp: new Date().toISOString(), template: name === 'whatsapp' ? { name: 'order_update', language: 'en_US' } : undefined, text: name === 'line' ? 'your order shipped' : undefined };
      await jetstream(nc).publish(subjects.outbound(tenant, name), encode(message), { msgID: message.id });
    }
    // Both first calls are in flight (held by the provider) when the process dies.
    await waitFor(() => (fake.calls.some((c) => c.path === '/v2/bot/message/push') && fake.calls.some((c) => c.path.endsWith('/messages')) ? true : undefined), { timeoutMs: 60_000, what: 'both first calls' });
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    const second = await channelsProcess();
    try {
      // A receipt may be published again (a redelivery finds the message sent): wait for one per message.
      const sent = await waitFor(() => (new Set(receipts.filter((r) => r.status === 'sent').map((r) => r.messageId)).size === 2 ? receipts : undefined), { timeoutMs: 60_000, what: 'both sent receipts' });
      const lineCalls = fake.calls.filter((c) => c.path === '/v2/bot/message/push');
      const whatsappCalls = fake.calls.filter((c) => c.path.endsWith('/messages'));
      // LINE: the same retry key twice; LINE answered 409 "already accepted", so the customer got it once.
      const paths = fake.calls.map((c) => c.path).join(', ');
      expect(lineCalls, paths).toHaveLength(2);
      expect(lineCalls[0]!.headers['x-line-retry-key']).toBe(lineCalls[1]!.headers['x-line-retry-key']);
      expect(sent.find((r) => r.messageId === ids.line)!.platformMessageId).toBe(acceptedKeys.get(String(lineCalls[0]!.headers['x-line-retry-key'])));
      // WhatsApp has no idempotency key: one more call, counted.
      expect(whatsappCalls, paths).toHaveLength(2);
      const metrics = await (await fetch(`${second.ops}/metrics`)).text();
      expect(metrics).toMatch(/parley_channel_resends_total\{type="line"\} 1/);
      expect(metrics).toMatch(/parley_channel_resends_total\{type="whatsapp"\} 1/);
    } finally {
      sub.unsubscribe();
      second.child.kill('SIGTERM');
      await new Promise((resolve) => second.child.once('exit', resolve));
    }
  }, 180_000);
});
