import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useMigratedStore } from '../support/migrated-store.ts';
import { quietHooks } from '../support/quiet-hooks.ts';
import { configFolder } from '../support/config-folder.ts';
import { startNatsServer, type NatsServer } from '../support/services.ts';
import { actorHost } from '../support/actor-host.ts';
import { inboundText } from '../support/inbound-message.ts';
import { FORWARDED_PER_REQUEST, NO_RESPONDER_RETRIES_MS, PartitionMailbox } from '../../src/runtime/index.ts';
import { ConfigRegistry, loadConfigFolder } from '../../src/config/index.ts';
import { subjects, type InboundMessage, type ParleyError } from '../../src/contract/index.ts';
import { claimEpoch } from '../../src/store/index.ts';
import { createLogger } from '../../src/observability/index.ts';

const tenant = 'acme';
/** One partition: every customer's messages go to it, owned by node B. */
const partitions = 1;

/** Customer messages handed by a node that does not own their partition to the node that does (real NATS and PostgreSQL). */
describe('partition mailbox forwarding', () => {
  const database = useMigratedStore();
  const config = new ConfigRegistry();
  let nats: NatsServer;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    await claimEpoch(database.store.db, 0, 1, 'node-b');
    const folder = await configFolder(tenant);
    config.apply(await loadConfigFolder(folder.dir));
    await folder.remove();
  });

  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  const serving: PartitionMailbox[] = [];
  const watching: Subscription[] = [];
  afterEach(() => {
    for (const mailbox of serving.splice(0)) mailbox.unserve(0);
    for (const sub of watching.splice(0)) sub.unsubscribe();
  });

  const log = createLogger({}, { level: 'error', write: () => undefined });
  /** A node's mailbox; `opened` notes the texts of the customer messages its host takes, in the order it takes them. */
  const mailboxOf = (owned: boolean, opened: string[] = [], connection: NatsConnection = nc) => {
    const ownership = { epochOf: () => (owned ? 1 : undefined) };
    const host = actorHost(database.store.db, quietHooks, ownership, {}, config);
    const open = host.open.bind(host);
    host.open = (kind, partition, input) => {
      opened.push((input as InboundMessage).text ?? '');
      return open(kind, partition, input);
    };
    return new PartitionMailbox({ nc: connection, host, ownership, partitions, log, requestTimeoutMs: 10_000 });
  };
  const message = (customer: string, channel = 'whatsapp'): InboundMessage => inboundText(tenant, customer, channel);
  /** The owner of partition 0, answering its requests until the test ends. */
  const ownerServing = (opened?: string[]) => {
    const owner = mailboxOf(true, opened);
    owner.serve(0);
    serving.push(owner);
  };
  /** The requests sent to partition 0's owner for work of this kind: how many items each carried, and its size. */
  const watchRequests = async (kind: 'actor' | 'inbound') => {
    const requests: { items: number; bytes: number }[] = [];
    const sub = nc.subscribe(subjects.partition(0, kind), {
      callback: (_err, msg) => {
        requests.push({ items: (msg.json<{ items?: unknown[] }>().items ?? []).length, bytes: msg.data.length });
      },
    });
    watching.push(sub);
    await nc.flush();
    return requests;
  };

  it('sends the messages taken in one turn as one request, and answers each with its own outcome or error', async () => {
    ownerServing();
    const requests = await watchRequests('inbound');
    const forwarder = mailboxOf(false);
    const [first, second, unknownChannel] = [message('+33611111111'), message('+33622222222'), message('+33633333333', 'no-such-channel')];

    const outcomes = await Promise.allSettled([first, second, unknownChannel].map((m) => forwarder.open('conversation', { ...m, receivedAt: new Date().toISOString() })));

    expect(requests.map((r) => r.items)).toEqual([3]);
    expect(outcomes.slice(0, 2)).toEqual([
      { status: 'fulfilled', value: 'stored' },
      { status: 'fulfilled', value: 'stored' },
    ]);
    expect(outcomes[2]?.status).toBe('rejected');
    expect(((outcomes[2] as PromiseRejectedResult).reason as ParleyError).code).toBe('unknownChannel');
    const rows = await database.store.db.selectFrom('messages').select('platform_message_id').where('platform_message_id', 'in', [first.messageId, second.messageId, unknownChannel.messageId]).execute();
    expect(rows.map((r) => r.platform_message_id).sort()).toEqual([first.messageId, second.messageId].sort());
  });

  it('splits what would not fit in one NATS message into several requests', async () => {
    ownerServing();
    const requests = await watchRequests('inbound');
    const forwarder = mailboxOf(false);
    // 20 messages of 60 KB: 1.2 MB, more than the server's 1 MB messages.
    const long = Array.from({ length: 20 }, (_, i) => ({ ...message(`+3367${randomUUID().slice(0, 6)}${i}`), text: 'x'.repeat(60_000) }));

    const outcomes = await Promise.all(long.map((m) => forwarder.open('conversation', { ...m, receivedAt: new Date().toISOString() })));

    expect(outcomes).toEqual(long.map(() => 'stored'));
    expect(requests.length).toBeGreaterThan(1);
    expect(requests.reduce((n, r) => n + r.items, 0)).toBe(20);
    for (const r of requests) expect(r.bytes).toBeLessThanOrEqual(nc.info?.max_payload ?? 0);
  });

  it('hands the messages forwarded together to the owner in the order they came', async () => {
    const opened: string[] = [];
    ownerServing(opened);
    const forwarder = mailboxOf(false);
    const customer = `+3364${randomUUID().slice(0, 6)}`;
    const texts = ['one', 'two', 'three', 'four', 'five'];
    const outcomes = await Promise.all(texts.map((text) => forwarder.open('conversation', { ...message(customer), text, receivedAt: new Date().toISOString() })));
    expect(outcomes).toEqual(texts.map(() => 'stored'));
    expect(opened).toEqual(texts);
  });

  it('sends the events for actors of one partition taken in one turn as one request, each answered', async () => {
    ownerServing();
    const requests = await watchRequests('actor');
    const forwarder = mailboxOf(false);
    const configure = (id: string) => ({ type: 'agent.configure', at: new Date().toISOString(), commandId: randomUUID(), name: id, skills: [], capacity: { message: 1 } });
    const agents = [`ana-${randomUUID().slice(0, 8)}`, `bo-${randomUUID().slice(0, 8)}`];

    const found = await Promise.all([
      ...agents.map((id) => forwarder.send({ kind: 'agent', tenant, id, event: configure(id) })),
      forwarder.send({ kind: 'conversation', tenant, id: randomUUID(), event: { type: 'customer.typing' } }),
    ]);

    // The unknown conversation is found nowhere, so nothing is sent for it.
    expect(requests.map((r) => r.items)).toEqual([2]);
    expect(found).toEqual([true, true, false]);
    const rows = await database.store.db.selectFrom('agents').select('id').where('id', 'in', agents).execute();
    expect(rows.map((r) => r.id).sort()).toEqual([...agents].sort());
  });

  it('still answers the one-message requests of routers from before batching', async () => {
    ownerServing();
    const single = { ...message('+33677777777'), receivedAt: new Date().toISOString() };
    const reply = await nc.request(subjects.partition(0, 'inbound'), JSON.stringify({ kind: 'inbound', actor: 'conversation', envelope: single }), { timeout: 10_000 });
    expect(reply.json()).toEqual({ ok: true, outcome: 'stored' });
  });

  it('answers a request that is not of its shape with invalidEnvelope, and goes on serving', async () => {
    ownerServing();
    const forged = ['{"items":5}', 'null', '5', '"items"', '{"items":[{"kind":"other"}]}', '{"kind":"actor"}', '{"kind":"actor","target":{"kind":"agent"},"origin":{}}', '{"items":[null]}'];
    for (const body of forged) {
      const reply = await nc.request(subjects.partition(0, 'actor'), body, { timeout: 10_000 });
      expect(reply.json(), body).toMatchObject({ ok: false, code: 'invalidEnvelope' });
    }
    const single = { ...message('+33688888888'), receivedAt: new Date().toISOString() };
    const reply = await nc.request(subjects.partition(0, 'inbound'), JSON.stringify({ items: [{ kind: 'inbound', actor: 'conversation', envelope: single }] }), { timeout: 10_000 });
    expect(reply.json()).toEqual({ ok: true, results: [{ ok: true, outcome: 'stored' }] });
  });

  it('sends a request nobody answers again a moment later: work forwarded while the partition changes hands does not fail for that', async () => {
    const owner = mailboxOf(true);
    let requests = 0;
    // The first request finds no subscriber; the new owner starts serving right after it.
    const handingOver = new Proxy(nc, {
      get(target, property) {
        if (property === 'request') {
          return async (...args: Parameters<NatsConnection['request']>) => {
            requests++;
            try {
              return await target.request(...args);
            } catch (err) {
              if (requests === 1) {
                owner.serve(0);
                serving.push(owner);
                await target.flush();
              }
              throw err;
            }
          };
        }
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const forwarder = mailboxOf(false, [], handingOver);
    const outcome = await forwarder.open('conversation', { ...message(`+3368${randomUUID().slice(0, 6)}`), receivedAt: new Date().toISOString() });
    expect(outcome).toBe('stored');
    expect(requests).toBe(2);
  });

  it('fails every message of a request nobody answers with a retryable error', async () => {
    const forwarder = mailboxOf(false);
    const outcomes = await Promise.allSettled([message('+33655555555'), message('+33666666666')].map((m) => forwarder.open('conversation', { ...m, receivedAt: new Date().toISOString() })));
    expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as ParleyError).code : o.status))).toEqual(['notPartitionOwner', 'notPartitionOwner']);
  });

  it('is documented with the limit of the code', () => {
    const docs = ['cluster.md', 'operations.md'].map((name) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8'));
    expect(docs[0]).toContain(`up to ${FORWARDED_PER_REQUEST}, \`FORWARDED_PER_REQUEST\`, and below NATS's \`max_payload\``);
    expect(docs[1]).toContain(`to another router in one request (${FORWARDED_PER_REQUEST})`);
    const pauses = NO_RESPONDER_RETRIES_MS.map(String);
    expect(docs[0]).toContain(`sent again after ${pauses.slice(0, -1).join(', ')} and ${pauses.at(-1)} ms\n(\`NO_RESPONDER_RETRIES_MS\`)`);
  });
});
