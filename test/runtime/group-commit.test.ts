import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { useMigratedStore } from '../support/migrated-store.ts';
import { quietHooks } from '../support/quiet-hooks.ts';
import { channelAndQueue, configFolder } from '../support/config-folder.ts';
import type { ActorHost, ActorHostOptions } from '../../src/runtime/index.ts';
import { BULK_PARTITIONS } from '../../src/runtime/group-commit.ts';
import { actorHost } from '../support/actor-host.ts';
import { inboundText } from '../support/inbound-message.ts';
import { actorKey } from '../../src/runtime/actor-cache.ts';
import type { AgentContext } from '../../src/agent/context.ts';
import { ConfigRegistry, loadConfigFolder } from '../../src/config/index.ts';
import { externalIdOf, type InboundMessage, type ParleyError } from '../../src/contract/index.ts';
import { claimEpoch, type Database } from '../../src/store/index.ts';
import type { Kysely } from 'kysely';

const tenant = 'acme';

/** The group commit of customer messages and actor events (real PostgreSQL): what shares a transaction, and what fails alone. */
describe('group commit', () => {
  const database = useMigratedStore();
  const config = new ConfigRegistry();

  beforeAll(async () => {
    for (const p of [1, 2, 3]) await claimEpoch(database.store.db, p, 1, 'router-a');
    const folder = await configFolder(tenant);
    config.apply(await loadConfigFolder(folder.dir));
    await folder.remove();
  });

  const hostWith = (options: Partial<ActorHostOptions> = {}) => actorHost(database.store.db, quietHooks, { epochOf: () => 1 }, options, config);
  /** A customer message taken in its partition's turn (the conversation kind's activation step), as the router's mailbox does. */
  const submitMessage = (host: ActorHost, partition: number, envelope: InboundMessage) => host.open('conversation', partition, envelope);
  const message = (customer: string, channel = 'whatsapp'): InboundMessage => inboundText(tenant, customer, channel);
  const stored = async (messages: InboundMessage[]) => {
    const ids = messages.map((m) => m.messageId);
    const rows = await database.store.db.selectFrom('messages').select('platform_message_id').where('platform_message_id', 'in', ids).execute();
    return rows.map((r) => r.platform_message_id).sort();
  };
  const at = () => new Date().toISOString();
  /** The store, noting in `log` what `entryOf` makes of each statement (its text and parameters), if anything: every statement goes through a kysely plugin. */
  const noting = (entryOf: (text: string, parameters: readonly unknown[]) => string | undefined, log: string[]) =>
    database.store.db.withPlugin({
      transformQuery: ({ node, queryId }) => {
        const { sql, parameters } = database.store.db.getExecutor().compileQuery(node, queryId);
        const entry = entryOf(sql, parameters);
        if (entry !== undefined) log.push(entry);
        return node;
      },
      transformResult: ({ result }) => Promise.resolve(result),
    });
  /** For `noting`: the lookups of customer messages and the links of their senders, with how many each statement took (its first parameter: their JSON rows). */
  const lookupsAndLinks = (text: string, parameters: readonly unknown[]) => {
    const count = () => (JSON.parse(parameters[0] as string) as unknown[]).length;
    return text.includes('lookup_n') ? `lookups of ${count()}` : text.includes('with sender as') ? `links of ${count()}` : undefined;
  };

  const configure = (name: string) => ({ type: 'agent.configure' as const, at: at(), commandId: randomUUID(), name, skills: [], capacity: { message: 2 } });
  const presence = (value: 'available' | 'away') => ({ type: 'presence.set' as const, at: at(), commandId: randomUUID(), presence: value });
  /**
   * Another session holds the rows `lock` locks until `letGo` (or the end of the test, so
   * that the store still closes when the test fails with work stuck behind them).
   */
  const heldElsewhere = async (lock: (tx: Kysely<Database>) => Promise<unknown>) => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    onTestFinished(() => release());
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = database.store.db.transaction().execute(async (tx) => {
      await lock(tx);
      locked();
      await held;
    });
    await isLocked;
    return { letGo: () => (release(), holder) };
  };

  it('takes what arrived during a transaction into the next one, across partitions, up to maxBatch, at most maxConcurrent at once', async () => {
    const sizes: number[] = [];
    const host = hostWith({ maxConcurrent: 1, maxBatch: 10, committed: (size) => sizes.push(size) });
    const first = message('c-first');
    const laterOnOne = Array.from({ length: 9 }, (_, i) => message(`c-one-${i}`));
    const onTwo = Array.from({ length: 5 }, (_, i) => message(`c-two-${i}`));

    const outcomes = await Promise.all([
      submitMessage(host, 1, first),
      ...laterOnOne.map((m) => submitMessage(host, 1, m)),
      ...onTwo.map((m) => submitMessage(host, 2, m)),
    ]);

    expect(outcomes.every((o) => o === 'stored')).toBe(true);
    // Partition 1's first message alone (it started at once, an express transaction); then
    // partition 1's nine with one of partition 2's five (the bulk turn, partitions in the
    // order their work arrived); then an express transaction, short (a tenth of maxBatch:
    // one); then the three left.
    expect(sizes).toEqual([1, 10, 1, 3]);
    expect(await stored([first, ...laterOnOne, ...onTwo])).toHaveLength(15);
  });

  it('runs an actor’s events in the order sent, in one transaction with other work', async () => {
    const sizes: number[] = [];
    const host = hostWith({ maxConcurrent: 1, committed: (size) => sizes.push(size) });
    const ana = { kind: 'agent' as const, tenant, id: 'ana', partition: 3 };

    const found = await Promise.all([
      host.send({ ...ana, event: configure('Ana') }),
      host.send({ ...ana, event: presence('available') }),
      submitMessage(host, 2, message('c-between')),
      host.send({ ...ana, event: presence('away') }),
    ]);

    // The first event starts a transaction at once; Ana's next two wait for it (her
    // partition is in it), and then go with the customer's message that waited for the slot.
    expect(found).toEqual([true, true, 'stored', true]);
    expect(sizes).toEqual([1, 3]);
    const row = await database.store.db.selectFrom('agents').select('snapshot').where('id', '=', 'ana').executeTakeFirstOrThrow();
    expect((row.snapshot as { context: AgentContext }).context.presence).toBe('away');
  });

  it('commits an active actor’s events while every slot is taken, in one more transaction of events alone, in order', async () => {
    const log: string[] = [];
    const host = hostWith({ maxConcurrent: 1, committed: (size) => log.push(`#${size}`) });
    const bea = { kind: 'agent' as const, tenant, id: `bea-${randomUUID()}`, partition: 3 };
    // Another session holds partition 1's epoch row: the transaction of a message there
    // takes the one slot and cannot commit until it lets go.
    const lock = await heldElsewhere((tx) => tx.selectFrom('partition_epochs').select('epoch').where('partition', '=', 1).forUpdate().execute());
    const stuck = submitMessage(host, 1, message(`c-stuck-${randomUUID()}`)).then(() => log.push('stuck customer'));

    const events = Promise.all([
      host.send({ ...bea, event: configure('Bea') }).then(() => log.push('configure')),
      host.send({ ...bea, event: presence('available') }).then(() => log.push('available')),
      host.send({ ...bea, event: presence('away') }).then(() => log.push('away')),
    ]);
    const customer = submitMessage(host, 2, message(`c-waiting-${randomUUID()}`)).then(() => log.push('waiting customer'));
    await events;
    const whileHeld = [...log];
    await Promise.all([lock.letGo(), stuck, customer]);

    // Bea's events committed while the slot was held, in transactions of events alone (the
    // first at once, the other two together after it); the customer's message waited for the slot.
    expect(whileHeld).toEqual(['#1', 'configure', '#2', 'available', 'away']);
    expect(log.slice(whileHeld.length)).toEqual(['#1', 'stuck customer', '#1', 'waiting customer']);
    const row = await database.store.db.selectFrom('agents').select('snapshot').where('id', '=', bea.id).executeTakeFirstOrThrow();
    expect((row.snapshot as { context: AgentContext }).context.presence).toBe('away');
  }, 15_000);

  it('commits an agent’s events while a transaction holding its partition’s customer messages waits, and holds up that partition’s other work', async () => {
    const log: string[] = [];
    const known = message(`c-known-${randomUUID()}`);
    await submitMessage(hostWith(), 1, known);
    // A host that holds nothing in memory: the customer's follow-up reads its conversation's row.
    const host = hostWith({ maxConcurrent: 1, committed: (size) => log.push(`#${size}`) });
    const cy = { kind: 'agent' as const, tenant, id: `cy-${randomUUID()}`, partition: 1 };
    // Another session holds that conversation's row: the follow-up's transaction takes the
    // one slot and partition 1, and cannot commit until it lets go.
    const lock = await heldElsewhere((tx) => tx.selectFrom('conversations').select('id').where('external_id', '=', externalIdOf(known.from)).forUpdate().execute());
    const stuck = submitMessage(host, 1, message(known.from.id)).then(() => log.push('follow-up'));

    const events = Promise.all([
      host.send({ ...cy, event: configure('Cy') }).then(() => log.push('configure')),
      host.send({ ...cy, event: presence('available') }).then(() => log.push('available')),
    ]);
    const newcomer = submitMessage(host, 1, message(`c-new-${randomUUID()}`)).then(() => log.push('new customer'));
    await events;
    const whileHeld = [...log];
    await Promise.all([lock.letGo(), stuck, newcomer]);

    // Cy's events, on the partition the stuck transaction holds, committed meanwhile; the
    // new customer of that partition waited for it.
    expect(whileHeld).toEqual(['#1', 'configure', '#1', 'available']);
    expect(log.slice(whileHeld.length)).toEqual(['#1', 'follow-up', '#1', 'new customer']);
    const row = await database.store.db.selectFrom('agents').select('snapshot').where('id', '=', cy.id).executeTakeFirstOrThrow();
    expect((row.snapshot as { context: AgentContext }).context.presence).toBe('available');
  }, 15_000);

  it('takes a new customer\'s first message into the next transaction, ahead of a backlog of follow-ups, keeping each customer\'s order', async () => {
    const host = hostWith({ maxConcurrent: 1, maxBatch: 2 });
    const known = Array.from({ length: 6 }, (_, i) => `c-known-${i}-${randomUUID()}`);
    for (const customer of known) await submitMessage(host, 1, message(customer));
    const committed: string[] = [];
    const submit = (name: string, customer: string) => submitMessage(host, 1, message(customer)).then(() => committed.push(name));

    // Six follow-ups wait (the first may start a transaction at once), then a new customer writes twice.
    const newcomer = `c-new-${randomUUID()}`;
    await Promise.all([
      ...known.map((customer, i) => submit(`follow-up ${i}`, customer)),
      submit('new customer', newcomer),
      submit('new customer again', newcomer),
    ]);

    // Without lanes the new customer would come after the follow-ups waiting before it; with
    // them it is in the next transaction (batches of two: one of each lane).
    expect(committed.indexOf('new customer')).toBeLessThanOrEqual(1);
    expect(committed.indexOf('new customer again')).toBeLessThanOrEqual(3);
    expect(committed.filter((name) => name.startsWith('new'))).toEqual(['new customer', 'new customer again']);
    expect(committed.filter((name) => name.startsWith('follow-up'))).toEqual(known.map((_, i) => `follow-up ${i}`));
    const conversations = await database.store.db.selectFrom('conversations').select('id').where('external_id', '=', externalIdOf({ id: newcomer, idType: 'opaque' })).execute();
    expect(conversations).toHaveLength(1);
  });

  it('commits a new customer behind a backlog of follow-ups in a transaction of its own, while the backlog’s transactions run', async () => {
    // One log of commits (`#size`) and of the work they settled: a commit settles its items
    // right after it is counted, before any other I/O, so each item follows its own commit.
    const log: string[] = [];
    const host = hostWith({ maxConcurrent: 2, maxBatch: 10, committed: (size) => log.push(`#${size}`) });
    // Known customers, two at a time: both connections have prepared a new customer's statements.
    const known = Array.from({ length: 480 }, (_, i) => `c-backlog-${i}-${randomUUID()}`);
    await Promise.all(known.map((customer) => submitMessage(host, 1, message(customer))));
    log.length = 0;
    const submit = (name: string, customer: string, partition = 1) => submitMessage(host, partition, message(customer)).then(() => log.push(name));

    // 480 follow-ups: bulk transactions take them, leaving the second slot free; then a new customer (another partition) writes.
    await Promise.all([...known.map((customer, i) => submit(`follow-up ${i}`, customer)), submit('new customer', `c-new-${randomUUID()}`, 2)]);

    // The new customer went into the free slot alone, not into the follow-ups' batches of
    // ten, and committed while they ran: behind the backlog it would come 481st. Follow-ups
    // step actors held in memory and read nothing, so several batches of them commit while
    // the new customer's one transaction looks its customer up and creates its rows (how
    // many depends on the machine's load: up to 90 were seen on a loaded machine).
    const committed = log.filter((entry) => !entry.startsWith('#'));
    expect(log[log.indexOf('new customer') - 1]).toBe('#1');
    expect(committed.indexOf('new customer')).toBeLessThan(240);
    expect(committed.filter((name) => name.startsWith('follow-up'))).toEqual(known.map((_, i) => `follow-up ${i}`));
  });

  it('takes an active actor’s event (an offer, an accept) ahead of new customers waiting', async () => {
    const host = hostWith({ maxConcurrent: 1, maxBatch: 2 });
    const committed: string[] = [];
    const ana = { kind: 'agent' as const, tenant, id: `ana-${randomUUID()}`, partition: 3 };

    // All handed over in one go: the first customer takes the one slot, the others wait.
    const busy = submitMessage(host, 1, message(`c-busy-${randomUUID()}`));
    const customers = Array.from({ length: 4 }, (_, i) => submitMessage(host, 2, message(`c-waiting-${i}-${randomUUID()}`)).then(() => committed.push(`customer ${i}`)));
    expect(host.backlog).toBe(4);
    const event = host.send({ ...ana, event: configure('Ana') }).then(() => committed.push('event'));
    // The event started a transaction of events alone at once, while the slot is taken:
    // the four customers still wait, and it does not. (When the transactions commit
    // depends on the machine's load: an order of commits would not say this.)
    expect(host.backlog).toBe(4);
    await Promise.all([busy, ...customers, event]);
    expect(committed.filter((name) => name.startsWith('customer'))).toEqual(['customer 0', 'customer 1', 'customer 2', 'customer 3']);
    expect(committed).toContain('event');
  });

  it('takes at most BULK_PARTITIONS partitions into a bulk transaction, so the others stay free for express work', async () => {
    const partitions = Array.from({ length: BULK_PARTITIONS + 4 }, (_, i) => 10 + i);
    for (const p of partitions) await claimEpoch(database.store.db, p, 1, 'router-a');
    const sizes: number[] = [];
    const host = hostWith({ maxConcurrent: 1, maxBatch: 100, committed: (size) => sizes.push(size) });
    const customers = partitions.map((p) => ({ p, customer: `c-spread-${p}-${randomUUID()}` }));
    await Promise.all(customers.map(({ p, customer }) => submitMessage(host, p, message(customer))));
    sizes.length = 0;

    // While a transaction runs, two follow-ups of each customer wait: the backlog, taken by bulk transactions.
    const busy = submitMessage(host, 1, message(`c-busy-${randomUUID()}`));
    const followUps = customers.flatMap(({ p, customer }) => [submitMessage(host, p, message(customer)), submitMessage(host, p, message(customer))]);
    expect(new Set(await Promise.all([busy, ...followUps]))).toEqual(new Set(['stored']));
    // Two of each of the first eight partitions, then two of each of the other four.
    expect(sizes).toEqual([1, 2 * BULK_PARTITIONS, 8]);
  });

  it('reports a failing item alone and commits the rest of its batch', async () => {
    const sizes: number[] = [];
    const host = hostWith({ maxConcurrent: 1, committed: (size) => sizes.push(size) });
    const first = message('c-alone');
    const good = [message('c-good-1'), message('c-good-2')];
    const bad = message('c-bad', 'telegram');

    const submitted = [first, good[0], bad, good[1]].map((m) => submitMessage(host, 1, m as InboundMessage));
    const outcomes = await Promise.allSettled(submitted);

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(((outcomes[2] as PromiseRejectedResult).reason as ParleyError).code).toBe('unknownChannel');
    // The batch of three failed as a whole and was retried item by item.
    expect(sizes).toEqual([1, 1, 1]);
    expect(await stored([first, ...good, bad])).toEqual([first, ...good].map((m) => m.messageId).sort());
  });

  it('reports after-commit work that fails, and the item still succeeds (its effects are committed)', async () => {
    const failures: unknown[] = [];
    const failing = { ...quietHooks, changed: () => { throw new Error('NATS is away'); } };
    const host = actorHost(database.store.db, failing, { epochOf: () => 1 }, { onError: (err) => failures.push(err) }, config);
    const m = message('c-after-commit');
    expect(await submitMessage(host, 1, m)).toBe('stored');
    expect(await stored([m])).toHaveLength(1);
    expect(failures).toEqual([new Error('NATS is away')]);
  });

  it('stores a redelivered message once', async () => {
    const host = hostWith();
    const m = message('c-again');
    expect(await submitMessage(host, 1, m)).toBe('stored');
    expect(await submitMessage(host, 1, m)).toBe('duplicate');
    expect(await stored([m])).toHaveLength(1);
  });

  it('steps the follow-ups of an active conversation from memory without a lookup, and still stores a redelivery among them once', async () => {
    // The lookups are the statements reading conversations by key.
    const lookups: string[] = [];
    const counted = noting((text) => (text.includes('external_id = ') ? 'lookup' : undefined), lookups);
    const host = actorHost(counted, quietHooks, { epochOf: () => 1 }, { maxConcurrent: 1 }, config);
    const customer = `c-active-${randomUUID()}`;
    const first = message(customer);
    expect(await submitMessage(host, 1, first)).toBe('stored');
    expect(lookups).toHaveLength(1);

    // Follow-ups while the conversation is active: not one lookup.
    lookups.length = 0;
    const followUps = Array.from({ length: 5 }, () => message(customer));
    expect(await Promise.all(followUps.map((m) => submitMessage(host, 1, m)))).toEqual(['stored', 'stored', 'stored', 'stored', 'stored']);
    expect(lookups).toEqual([]);

    // A redelivered copy fails its batch on the messages' unique index; the retries look up (the failed transaction dropped the actor from memory).
    const more = Array.from({ length: 3 }, () => message(customer));
    const outcomes = await Promise.all([more[0], followUps[2], more[1], more[2]].map((m) => submitMessage(host, 1, m as InboundMessage)));
    expect(outcomes).toEqual(['stored', 'duplicate', 'stored', 'stored']);
    expect(lookups.length).toBeGreaterThan(0);
    const all = [first, ...followUps, ...more];
    expect(await stored(all)).toHaveLength(9);
    const rows = await database.store.db.selectFrom('messages').select('conversation_id').where('platform_message_id', 'in', all.map((m) => m.messageId)).execute();
    expect(rows).toHaveLength(9);
    expect(new Set(rows.map((r) => r.conversation_id)).size).toBe(1);
  });

  it('sends a follow-up’s writes and its conversation’s snapshot in one statement, and a first step’s row before a later step’s snapshot', async () => {
    const log: string[] = [];
    // Whole statements only (the parts of the writes' statement are seen on their own too).
    const entryOf = (text: string) => {
      if (text.includes('lookup_n')) return 'lookup';
      if (!/^(with |\/\* prepared \*\/)/.test(text)) return undefined;
      const parts = [text.includes('insert into "messages"') && 'message', text.includes('insert into "conversations"') && 'new conversation', text.includes('update conversations c') && 'snapshot'];
      return parts.some(Boolean) ? parts.filter(Boolean).join(' + ') : undefined;
    };
    const host = actorHost(noting(entryOf, log), quietHooks, { epochOf: () => 1 }, { maxConcurrent: 1 }, config);
    const customer = `c-together-${randomUUID()}`;
    expect(await submitMessage(host, 1, message(customer))).toBe('stored');
    expect(log).toEqual(['lookup', 'message + new conversation']);

    // A follow-up of the active conversation: its message and the conversation's new snapshot, one statement.
    log.length = 0;
    expect(await submitMessage(host, 1, message(customer))).toBe('stored');
    expect(log).toEqual(['message + snapshot']);

    // A new customer's two messages in one transaction: the conversation's insert goes out
    // before the second step's snapshot write, which must see the row.
    log.length = 0;
    const busy = submitMessage(host, 1, message(`c-busy-${randomUUID()}`));
    const twice = `c-twice-${randomUUID()}`;
    expect(await Promise.all([submitMessage(host, 1, message(twice)), submitMessage(host, 1, message(twice)), busy])).toEqual(['stored', 'stored', 'stored']);
    expect(log.slice(-2)).toEqual(['message + new conversation', 'snapshot']);
  });

  it('writes a batch of new customers in one statement, and a follow-up that must look its conversation up sees it', async () => {
    // One log of the statements that write (the steps' writes: `with w0 as (…)`) and of the commits (`#size`).
    const log: string[] = [];
    const counted = noting((text) => (text.startsWith('with ') ? 'writes' : undefined), log);
    const host = actorHost(counted, quietHooks, { epochOf: () => 1 }, { maxConcurrent: 1, committed: (size) => log.push(`#${size}`) }, config);
    const busy = submitMessage(host, 1, message(`c-busy-${randomUUID()}`));
    const customers = Array.from({ length: 5 }, (_, i) => `c-new-batch-${i}-${randomUUID()}`);
    // The last customer writes again at once, bringing a phone number: that message must look its conversation up.
    const phone = `+3362${Math.floor(Math.random() * 1e7).toString().padStart(7, '0')}`;
    const again = { ...message(customers[4] as string), from: { id: customers[4] as string, idType: 'opaque' as const, phone } };
    const outcomes = await Promise.all([busy, ...customers.map((c) => submitMessage(host, 1, message(c))), submitMessage(host, 1, again)]);

    expect(outcomes.every((o) => o === 'stored')).toBe(true);
    // The busy one alone, then the six together. The five new customers' writes went out
    // together, except that those before the second message's lookup were sent first.
    expect(log).toEqual(['writes', '#1', 'writes', 'writes', '#6']);
    const last = await database.store.db.selectFrom('messages').select('conversation_id').where('platform_message_id', '=', again.messageId).executeTakeFirstOrThrow();
    const conversations = await database.store.db.selectFrom('conversations').select('id').where('external_id', '=', `opaque:${customers[4]}`).execute();
    expect(conversations.map((c) => c.id)).toEqual([last.conversation_id]);
  });

  it('looks the new customers of a transaction up in one statement, and links them in one more', async () => {
    const log: string[] = [];
    const host = actorHost(noting(lookupsAndLinks, log), quietHooks, { epochOf: () => 1 }, { maxConcurrent: 1 }, config);
    const busy = submitMessage(host, 1, message(`c-busy-${randomUUID()}`));
    const customers = Array.from({ length: 5 }, (_, i) => `c-ahead-${i}-${randomUUID()}`);
    // Two of them give the same phone: they are one customer.
    const phone = `+3364${Math.floor(Math.random() * 1e7).toString().padStart(7, '0')}`;
    const withPhone = (customer: string) => ({ ...message(customer), from: { id: customer, idType: 'opaque' as const, phone } });
    const messages = customers.map((c, i) => (i >= 3 ? withPhone(c) : message(c)));
    const outcomes = await Promise.all([busy, ...messages.map((m) => submitMessage(host, 1, m))]);

    expect(outcomes.every((o) => o === 'stored')).toBe(true);
    // The busy one alone (linked with its writes); then the five looked up in one
    // statement, four linked in one more, and the second with the shared phone linked on
    // its own, after.
    expect(log).toEqual(['lookups of 1', 'lookups of 5', 'links of 4', 'links of 1']);
    const conversations = await database.store.db.selectFrom('conversations').select(['external_id', 'customer_id']).where('external_id', 'in', customers.map((c) => `opaque:${c}`)).orderBy('external_id').execute();
    expect(conversations).toHaveLength(5);
    const byCustomer = new Map(conversations.map((c) => [c.external_id, c.customer_id]));
    expect(new Set(byCustomer.values()).size).toBe(4);
    expect(byCustomer.get(`opaque:${customers[3]}`)).toBe(byCustomer.get(`opaque:${customers[4]}`));
  });

  it('links a new customer looked up alone with its first message’s writes: lookup, writes, commit', async () => {
    const log: string[] = [];
    const entryOf = (text: string, parameters: readonly unknown[]) => lookupsAndLinks(text, parameters) ?? (text.startsWith('with ') ? 'writes' : undefined);
    const host = actorHost(noting(entryOf, log), quietHooks, { epochOf: () => 1 }, {}, config);
    const customer = `c-alone-${randomUUID()}`;
    const phone = `+3365${Math.floor(Math.random() * 1e7).toString().padStart(7, '0')}`;
    expect(await submitMessage(host, 1, { ...message(customer), from: { id: customer, idType: 'opaque', phone, name: 'Ines' } })).toBe('stored');

    expect(log).toEqual(['lookups of 1', 'writes']);
    const linked = await database.store.db.selectFrom('identities').select(['kind', 'customer_id']).where('tenant', '=', tenant).where('value', 'in', [`opaque:${customer}`, phone]).execute();
    expect(linked.map((r) => r.kind).sort()).toEqual(['channel', 'phone']);
    const { customer_id } = await database.store.db.selectFrom('conversations').select('customer_id').where('external_id', '=', `opaque:${customer}`).executeTakeFirstOrThrow();
    expect(new Set(linked.map((r) => r.customer_id))).toEqual(new Set([customer_id]));
    const row = await database.store.db.selectFrom('customers').select('name').where('id', '=', customer_id).executeTakeFirstOrThrow();
    expect(row.name).toBe('Ines');
  });

  it('runs a new customer again when another transaction links its phone between its lookup and its writes, and joins that customer', async () => {
    const phone = `+3366${Math.floor(Math.random() * 1e7).toString().padStart(7, '0')}`;
    const other = randomUUID();
    let lookups = 0;
    // The first lookup's answer comes back only once another connection has linked the phone to `other`.
    const racing = database.store.db.withPlugin({
      transformQuery: ({ node }) => node,
      transformResult: async ({ result }) => {
        const first = result.rows[0];
        if (first && 'lookup_n' in first && ++lookups === 1) {
          await database.store.db.transaction().execute(async (trx) => {
            await trx.insertInto('customers').values({ id: other, tenant, name: 'linked meanwhile' }).execute();
            await trx.insertInto('identities').values({ tenant, kind: 'phone', channel: '', value: phone, customer_id: other }).execute();
          });
        }
        return result;
      },
    });
    const host = actorHost(racing, quietHooks, { epochOf: () => 1 }, {}, config);
    const customer = `c-race-${randomUUID()}`;

    expect(await submitMessage(host, 1, { ...message(customer), from: { id: customer, idType: 'opaque', phone } })).toBe('stored');

    expect(lookups).toBe(2);
    const { customer_id } = await database.store.db.selectFrom('conversations').select('customer_id').where('external_id', '=', `opaque:${customer}`).executeTakeFirstOrThrow();
    expect(customer_id).toBe(other);
    const channelIdentity = await database.store.db.selectFrom('identities').select('customer_id').where('tenant', '=', tenant).where('value', '=', `opaque:${customer}`).executeTakeFirstOrThrow();
    expect(channelIdentity.customer_id).toBe(other);
  });

  it('sends a new customer’s links before another message of its transaction reads an identity they share', async () => {
    const log: string[] = [];
    const entryOf = (text: string, parameters: readonly unknown[]) => lookupsAndLinks(text, parameters) ?? (text.startsWith('with ') ? 'writes' : undefined);
    const host = actorHost(noting(entryOf, log), quietHooks, { epochOf: () => 1 }, { maxConcurrent: 1, maxBatch: 10, committed: (size) => log.push(`#${size}`) }, config);
    const [known, newcomer] = [`c-known-${randomUUID()}`, `c-newcomer-${randomUUID()}`];
    expect(await submitMessage(host, 1, message(known))).toBe('stored');
    const phone = `+3367${Math.floor(Math.random() * 1e7).toString().padStart(7, '0')}`;
    const withPhone = (customer: string) => ({ ...message(customer), from: { id: customer, idType: 'opaque' as const, phone } });

    // Two new customers take the first two transactions (express, one each); then a bulk
    // one takes a third new customer giving a phone (the only one to look up: alone, linked
    // with its writes) and the known customer's follow-up giving the same phone (its
    // conversation is active, but the phone is new to it: it looks itself up).
    log.length = 0;
    const firsts = [submitMessage(host, 1, message(`c-busy-${randomUUID()}`)), submitMessage(host, 1, message(`c-filler-${randomUUID()}`))];
    const sharing = [submitMessage(host, 1, withPhone(newcomer)), submitMessage(host, 1, withPhone(known))];
    expect(await Promise.all([...firsts, ...sharing])).toEqual(['stored', 'stored', 'stored', 'stored']);

    // The follow-up's lookup came after the new customer's writes, and found the phone
    // linked: no link of its own, no statement failing on the phone and running again.
    expect(log).toEqual(['lookups of 1', 'writes', '#1', 'lookups of 1', 'writes', '#1', 'lookups of 1', 'writes', 'lookups of 1', 'writes', '#2']);
    const owner = await database.store.db.selectFrom('identities').select('customer_id').where('tenant', '=', tenant).where('value', '=', phone).executeTakeFirstOrThrow();
    const { customer_id } = await database.store.db.selectFrom('conversations').select('customer_id').where('external_id', '=', `opaque:${newcomer}`).executeTakeFirstOrThrow();
    expect(owner.customer_id).toBe(customer_id);
  });

  it('sends a new customer’s links before a sender read ahead in its transaction links an identity they share', async () => {
    const log: string[] = [];
    const entryOf = (text: string, parameters: readonly unknown[]) => lookupsAndLinks(text, parameters) ?? (text.startsWith('with ') ? 'writes' : undefined);
    // Each lookup, link and write is noted when sent and forgotten when its result comes back: what is left failed.
    const unanswered = new Map<unknown, string>();
    const watched = noting(entryOf, log).withPlugin({
      transformQuery: ({ node, queryId }) => {
        const { sql, parameters } = database.store.db.getExecutor().compileQuery(node, queryId);
        const entry = entryOf(sql, parameters);
        if (entry !== undefined) unanswered.set(queryId, entry);
        return node;
      },
      transformResult: ({ result, queryId }) => {
        unanswered.delete(queryId);
        return Promise.resolve(result);
      },
    });
    const host = actorHost(watched, quietHooks, { epochOf: () => 1 }, { maxConcurrent: 1, maxBatch: 10, committed: (size) => log.push(`#${size}`) }, config);
    const suffix = () => Math.floor(Math.random() * 1e7).toString().padStart(7, '0');
    const [phone, email] = [`+3368${suffix()}`, `shared-${randomUUID()}@example.com`];
    const [earlier, newcomer, sender] = [`c-earlier-${randomUUID()}`, `c-newcomer-${randomUUID()}`, `c-sender-${randomUUID()}`];
    // Read ahead and linked ahead: it takes the e-mail address.
    const earlierMessage = { ...message(earlier), from: { id: earlier, idType: 'opaque' as const, email } };
    // Threaded by references, so not read ahead: it looks itself up alone, a new customer
    // whose phone is linked with its step's writes, not sent yet.
    const newcomerMessage = { ...message(newcomer), from: { id: newcomer, idType: 'opaque' as const, phone }, references: [`<${randomUUID()}@example.com>`] };
    // Read ahead with the first, but not linked ahead (it shares the e-mail address with
    // it): it links itself, after the newcomer, and its phone is the newcomer's.
    const senderMessage = { ...message(sender), from: { id: sender, idType: 'opaque' as const, phone, email } };

    // A first message takes the only transaction (express); the three wait and go in the next one, a bulk one, in this order.
    const busy = submitMessage(host, 1, message(`c-busy-${randomUUID()}`));
    const three = [earlierMessage, newcomerMessage, senderMessage].map((m) => submitMessage(host, 1, m));
    expect(await Promise.all([busy, ...three])).toEqual(['stored', 'stored', 'stored', 'stored']);

    // No statement failed on the phone's key (and ran again): none is left without an answer.
    expect([...unanswered.values()]).toEqual([]);
    // The two looked up ahead in one statement, the first linked ahead; the newcomer's own
    // lookup; its writes sent before the sender's link; all three in one transaction.
    expect(log).toEqual(['lookups of 1', 'writes', '#1', 'lookups of 2', 'links of 1', 'writes', 'lookups of 1', 'writes', 'links of 1', 'writes', '#3']);
    // The sender is the newcomer's customer, found by the phone (it ranks above the e-mail address), and so are both messages.
    const rows = await database.store.db.selectFrom('messages').select(['platform_message_id', 'customer_id']).where('platform_message_id', 'in', [newcomerMessage.messageId, senderMessage.messageId]).execute();
    expect(rows).toHaveLength(2);
    const owner = await database.store.db.selectFrom('identities').select('customer_id').where('tenant', '=', tenant).where('kind', '=', 'phone').where('value', '=', phone).executeTakeFirstOrThrow();
    expect(rows.map((r) => r.customer_id)).toEqual([owner.customer_id, owner.customer_id]);
    const conversations = await database.store.db.selectFrom('conversations').select('customer_id').where('external_id', 'in', [`opaque:${newcomer}`, `opaque:${sender}`]).execute();
    expect(conversations.map((c) => c.customer_id)).toEqual([owner.customer_id, owner.customer_id]);
  });

  it('reads ahead for the customers whose conversations were passivated, with the new ones, and not for those still active', async () => {
    const log: string[] = [];
    const host = actorHost(noting(lookupsAndLinks, log), quietHooks, { epochOf: () => 1 }, { maxConcurrent: 1 }, config);
    const [idle, active] = [`c-idle-${randomUUID()}`, `c-active-${randomUUID()}`];
    expect(await Promise.all([submitMessage(host, 1, message(idle)), submitMessage(host, 1, message(active))])).toEqual(['stored', 'stored']);
    // The first conversation goes idle and is passivated; the second stays in memory.
    const { id } = await database.store.db.selectFrom('conversations').select('id').where('external_id', '=', `opaque:${idle}`).executeTakeFirstOrThrow();
    host.actors.evict(actorKey('conversation', tenant, id));

    log.length = 0;
    const busy = submitMessage(host, 1, message(`c-busy-${randomUUID()}`));
    const again = [message(idle), message(`c-newcomer-${randomUUID()}`), message(active)];
    expect(await Promise.all([busy, ...again.map((m) => submitMessage(host, 1, m))])).toEqual(['stored', 'stored', 'stored', 'stored']);
    // The busy one's own lookup; then the passivated customer's and the newcomer's together; the active one's none.
    expect(log.filter((entry) => entry.startsWith('lookups'))).toEqual(['lookups of 1', 'lookups of 2']);
    const row = await database.store.db.selectFrom('messages').select('conversation_id').where('platform_message_id', '=', (again[0] as InboundMessage).messageId).executeTakeFirstOrThrow();
    expect(row.conversation_id).toBe(id);
  });

  it('looks a customer up again when a step of its transaction changed its conversation after the lookup read ahead', async () => {
    const customer = `c-stale-${randomUUID()}`;
    expect(await submitMessage(hostWith(), 1, message(customer))).toBe('stored');
    const { id } = await database.store.db.selectFrom('conversations').select('id').where('external_id', '=', `opaque:${customer}`).executeTakeFirstOrThrow();

    // A router that does not hold the conversation: a first message takes the only
    // transaction; the next one takes, in this order, the queue's deletion (which closes
    // the conversation), the customer's message and a new customer's.
    const host = hostWith({ maxConcurrent: 1 });
    const busy = submitMessage(host, 1, message(`c-busy-${randomUUID()}`));
    const deleted = host.send({ kind: 'conversation', tenant, id, partition: 1, event: { type: 'queue.deleted', at: at(), queue: 'support', to: null } });
    const again = message(customer);
    const outcomes = await Promise.all([submitMessage(host, 1, again), submitMessage(host, 1, message(`c-other-${randomUUID()}`)), busy]);
    expect(await deleted).toBe(true);
    expect(outcomes).toEqual(['stored', 'stored', 'stored']);

    // Read ahead, the customer's conversation was still open: the message did not join it once closed, it started another.
    const closed = await database.store.db.selectFrom('conversations').select('state').where('id', '=', id).executeTakeFirstOrThrow();
    expect(closed.state).toBe('closed');
    const row = await database.store.db.selectFrom('messages').select('conversation_id').where('platform_message_id', '=', again.messageId).executeTakeFirstOrThrow();
    expect(row.conversation_id).not.toBe(id);
  });

  it('reads the fence’s epoch with the transaction’s writes, not in a statement of its own', async () => {
    const log: string[] = [];
    const entryOf = (text: string) => (text.includes('from "partition_epochs"') ? 'epoch alone' : text.includes('fence as (select partition, epoch') ? 'writes with the epoch' : undefined);
    const host = actorHost(noting(entryOf, log), quietHooks, { epochOf: () => 1 }, {}, config);
    const customer = `c-fenced-${randomUUID()}`;
    // The first message's lookup reads the epoch; a follow-up stepped from memory reads nothing, and its writes carry it.
    await submitMessage(host, 2, message(customer));
    expect(log).toEqual([]);
    await submitMessage(host, 2, message(customer));
    expect(log).toEqual(['writes with the epoch']);
  });

  it('counts the new conversations of its own transaction when a full queue overflows', async () => {
    // Tenant `overflowco`: its queue holds two waiting conversations at most, then `spare` takes them.
    const dir = await mkdtemp(join(tmpdir(), 'parley-overflow-'));
    const spare = 'apiVersion: parley.dev/v1alpha1\nkind: Queue\nmetadata: { name: spare, namespace: overflowco }\nspec: {}\n';
    await writeFile(join(dir, 'resources.yaml'), `${channelAndQueue('overflowco', '{ maxDepth: 2, overflow: { queue: spare } }')}---\n${spare}`);
    const overflowing = new ConfigRegistry();
    overflowing.apply(await loadConfigFolder(dir));
    await rm(dir, { recursive: true, force: true });
    const host = actorHost(database.store.db, quietHooks, { epochOf: () => 1 }, { maxConcurrent: 1 }, overflowing);

    // A first message takes the only transaction; the four new customers behind it share the next one.
    const customers = Array.from({ length: 4 }, (_, i) => `c-overflow-${i}-${randomUUID()}`);
    const busy = submitMessage(host, 1, { ...message(`c-overflow-busy-${randomUUID()}`), tenant: 'overflowco' });
    const outcomes = await Promise.all(customers.map((c) => submitMessage(host, 1, { ...message(c), tenant: 'overflowco' })));
    await busy;
    expect(outcomes.every((o) => o === 'stored')).toBe(true);

    // Had the count not seen the conversations this transaction created, all four would wait in `support`.
    const rows = await database.store.db.selectFrom('conversations').select('queue').where('tenant', '=', 'overflowco').execute();
    expect(rows.filter((r) => r.queue === 'support')).toHaveLength(2);
    expect(rows.filter((r) => r.queue === 'spare')).toHaveLength(3);
  });

  it('looks a follow-up up when it brings an identity not linked yet, and links it', async () => {
    const host = hostWith();
    const customer = `c-phone-${randomUUID()}`;
    expect(await submitMessage(host, 1, message(customer))).toBe('stored');
    const phone = `+3361${Math.floor(Math.random() * 1e7).toString().padStart(7, '0')}`;
    expect(await submitMessage(host, 1, { ...message(customer), from: { id: customer, idType: 'opaque', phone } })).toBe('stored');
    const linked = await database.store.db.selectFrom('identities').select(['kind', 'customer_id']).where('tenant', '=', tenant).where('value', 'in', [`opaque:${customer}`, phone]).execute();
    expect(linked.map((r) => r.kind).sort()).toEqual(['channel', 'phone']);
    expect(new Set(linked.map((r) => r.customer_id)).size).toBe(1);
  });

  it('refuses customer messages beyond the backlog limit as unavailable (they stay in JetStream)', async () => {
    const host = hostWith({ maxConcurrent: 1, maxBacklog: 2 });
    // The first starts at once; two wait; the fourth finds the backlog full.
    const submitted = Array.from({ length: 4 }, (_, i) => submitMessage(host, 1, message(`c-full-${i}`)));
    const outcomes = await Promise.allSettled(submitted);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    const refusal = (outcomes[3] as PromiseRejectedResult).reason as ParleyError;
    expect(refusal.code).toBe('unavailable');
    expect(refusal.retryable).toBe(true);
  });
});
