import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import { isStreamNotFound } from '../bus/index.ts';
import { CLUSTER_BUCKET } from '../cluster/index.ts';
import { MAX_PARTITION_COUNT, agentPartitionKey, conversationPartitionKey, partitionOf } from '../partition/index.ts';
import { migrateDatabase, openDatabase, processAlive, readSettings, readUpState } from '../process/index.ts';
import { repartition, type Database } from '../store/index.ts';

export interface RepartitionOptions {
  /** The new partition count. */
  partitions: number;
  /** `postgres://…` or `pglite:<dir>`. */
  databaseUrl: string;
  /**
   * The NATS server the routers use, to look for live ones in the cluster bucket.
   * `required`: a server that cannot be reached refuses the command (without `force`);
   * otherwise it only means that nothing runs (an embedded `parley up` that is stopped).
   * Undefined: there is nothing to ask.
   */
  nats?: { url: string; required: boolean };
  /** Runs even though routers seem to be alive (or cannot be checked). */
  force?: boolean;
  /** How long to watch the members' heartbeats, to tell live routers from entries a crash left behind. @default 10000 (the lease time) */
  watchMs?: number;
  /** @default console.log */
  print?: (line: string) => void;
}

export interface RepartitionReport {
  /** The count the store had, undefined when it was never partitioned. */
  previous: number | undefined;
  partitions: number;
  conversations: { total: number; moved: number };
  agents: { total: number; moved: number };
  timers: number;
  outbox: number;
}

export class RoutersRunning extends Error {
  override readonly name = 'RoutersRunning';
}

/** A router registered in the cluster bucket, and whether its heartbeat was seen while watching. */
export interface ClusterMember {
  node: string;
  alive: boolean;
}

const MEMBERS = 'members.';

/**
 * The routers registered in the cluster bucket (`members.<node>` keys). A router renews
 * its entry every lease/5 and deletes it when it stops gracefully; a crashed router's
 * entry stays. So each entry is watched for up to `watchMs` (the lease time): `alive`
 * when it was renewed meanwhile, the same rule the routers use among themselves. An
 * entry deleted while watching is a router that just left: it is not listed.
 */
export async function clusterMembers(nc: NatsConnection, watchMs: number): Promise<ClusterMember[]> {
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.info(`KV_${CLUSTER_BUCKET}`);
  } catch (err) {
    if (isStreamNotFound(err)) return []; // no router ever ran against this NATS
    throw err;
  }
  const kv = await new Kvm(nc).open(CLUSTER_BUCKET);
  // Watch first, list second: a renewal between the two is not missed.
  const watch = await kv.watch({ key: `${MEMBERS}>`, include: 'updates' });
  const members = new Map<string, boolean>();
  try {
    for await (const key of await kv.keys(`${MEMBERS}>`)) members.set(key.slice(MEMBERS.length), false);
    if (members.size === 0) return [];
    const timer = setTimeout(() => watch.stop(), watchMs);
    try {
      for await (const entry of watch) {
        const node = entry.key.slice(MEMBERS.length);
        if (entry.operation === 'PUT') members.set(node, true);
        else members.delete(node);
        if ([...members.values()].every(Boolean)) break;
      }
    } finally {
      clearTimeout(timer);
    }
  } finally {
    watch.stop();
  }
  return [...members].map(([node, alive]) => ({ node, alive })).sort((a, b) => a.node.localeCompare(b.node));
}

/**
 * `parley repartition --partitions N`: moves every conversation, agent, campaign, timer and outbox
 * row to its partition under the new count (see `repartition`). Every router must be
 * stopped first: the command looks for them in the cluster bucket and refuses while any
 * is registered, unless `force`.
 */
export async function runRepartition(options: RepartitionOptions): Promise<RepartitionReport> {
  const print = options.print ?? ((line: string) => console.log(line));
  const { partitions } = options;
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITION_COUNT) {
    throw new RangeError(`--partitions must be an integer from 1 to ${MAX_PARTITION_COUNT}`);
  }
  await checkNoRouters(options, print);

  const store = await openDatabase({ url: options.databaseUrl });
  try {
    await migrateDatabase(store, options.databaseUrl);
    const previous = await partitionCount(store.db);
    // Counted before the move (the routers are stopped: nothing changes in between).
    const moves = await movesTo(store.db, partitions);
    await repartition(store.db, partitions);
    const timers = await countRows(store.db, 'timers');
    const outbox = await countRows(store.db, 'outbox');
    const report: RepartitionReport = { previous, partitions, ...moves, timers, outbox };
    print(`parley repartition: ${previous === undefined ? 'not partitioned yet' : `${previous} partitions`} → ${partitions} partitions`);
    print(`  conversations  ${report.conversations.moved} of ${report.conversations.total} moved to another partition`);
    print(`  agents         ${report.agents.moved} of ${report.agents.total} moved to another partition`);
    print(`  timers         ${timers} (each follows its actor)`);
    print(`  outbox rows    ${outbox} (each follows its target actor)`);
    print(`Start the routers with PARLEY_PARTITIONS=${partitions} (Helm: --set router.partitions=${partitions}).`);
    return report;
  } finally {
    await store.close();
  }
}

async function checkNoRouters(options: RepartitionOptions, print: (line: string) => void): Promise<void> {
  const { nats, force } = options;
  if (!nats) return;
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: nats.url.split(','), name: 'parley-repartition', timeout: 5_000, reconnect: false });
  } catch (err) {
    if (!nats.required) return; // the embedded NATS of a stopped `parley up`: nothing runs
    const why = `cannot check for running routers: NATS at ${nats.url} does not answer (${err instanceof Error ? err.message : String(err)})`;
    if (force) return print(`warning: ${why}; going on (--force)`);
    throw new RoutersRunning(`${why}. Set NATS_URL to the routers' NATS server, or pass --force if you are sure every router is stopped.`);
  }
  let members: ClusterMember[];
  try {
    members = await clusterMembers(nc, options.watchMs ?? 10_000);
  } finally {
    await nc.close();
  }
  if (members.length === 0) return;
  const lines = members.map((m) => `  ${m.node.padEnd(24)} ${m.alive ? 'alive: its heartbeat was seen' : `no heartbeat for ${options.watchMs ?? 10_000} ms: crashed? (a crash leaves its entry behind)`}`);
  if (force) {
    print(`warning: routers registered in the NATS KV bucket ${CLUSTER_BUCKET}, going on (--force):`);
    for (const line of lines) print(line);
    return;
  }
  throw new RoutersRunning(
    [
      `routers are registered in the NATS KV bucket ${CLUSTER_BUCKET} (members.<node>):`,
      ...lines,
      'Stop every router first (on Kubernetes, scale the router StatefulSet to 0 replicas); a router that stops gracefully',
      'removes its entry. A running router would keep writing under the old partition layout.',
      'Pass --force only if every router is stopped and the entries above were left by crashes.',
    ].join('\n'),
  );
}

async function partitionCount(db: Kysely<Database>): Promise<number | undefined> {
  const row = await db.selectFrom('cluster_settings').select('value').where('name', '=', 'partition_count').executeTakeFirst();
  return row ? Number(row.value) : undefined;
}

/** How many conversations and agents exist, and how many change partition (or get their first one) under `count`. */
async function movesTo(db: Kysely<Database>, count: number): Promise<Pick<RepartitionReport, 'conversations' | 'agents'>> {
  const conversations = { total: 0, moved: 0 };
  for (let after = '00000000-0000-0000-0000-000000000000'; ; ) {
    const rows = await db.selectFrom('conversations').select(['id', 'tenant', 'channel', 'external_id', 'partition']).where('id', '>', after).orderBy('id').limit(1000).execute();
    for (const r of rows) {
      conversations.total++;
      if (r.partition !== partitionOf(conversationPartitionKey(r.tenant, r.channel, r.external_id), count)) conversations.moved++;
    }
    if (rows.length < 1000) break;
    after = (rows.at(-1) as { id: string }).id;
  }
  const agents = { total: 0, moved: 0 };
  for (const r of await db.selectFrom('agents').select(['tenant', 'id', 'partition']).execute()) {
    agents.total++;
    if (r.partition !== partitionOf(agentPartitionKey(r.tenant, r.id), count)) agents.moved++;
  }
  return { conversations, agents };
}

async function countRows(db: Kysely<Database>, table: 'timers' | 'outbox'): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * The command line's defaults: the database of `parley up` (`pglite:<data>/pglite`)
 * unless DATABASE_URL is set; the routers' NATS from NATS_URL, else the one a running
 * `parley up` wrote in `<data>/up.json`, else the default local server. Only an embedded
 * `up` that is not running may have no NATS to ask.
 */
export async function repartitionCommand(args: { partitions: string | undefined; force: boolean; dataDir: string }): Promise<void> {
  if (args.partitions === undefined) throw new Error('repartition needs --partitions N (the new partition count)');
  const partitions = Number(args.partitions);
  const settings = readSettings();
  const dataDir = resolve(args.dataDir);
  const databaseUrl = settings.databaseUrl ?? `pglite:${join(dataDir, 'pglite')}`;
  const embedded = databaseUrl.startsWith('pglite:');
  // Not a new, empty database with a partition count that `parley up` would then refuse.
  if (embedded && !existsSync(databaseUrl.slice('pglite:'.length))) throw new Error(`no database at ${databaseUrl} (set DATABASE_URL, or --data to the folder of \`parley up\`)`);
  const up = await readUpState(dataDir).catch(() => undefined);
  // Not even with --force: two processes must never open one embedded database.
  if (embedded && up && processAlive(up.pid)) throw new RoutersRunning(`parley up is running (pid ${up.pid}) on ${databaseUrl}: stop it first`);
  const natsUrl = settings.natsUrl ?? up?.natsUrl ?? (embedded ? undefined : 'nats://127.0.0.1:4222');
  await runRepartition({
    partitions,
    databaseUrl,
    nats: natsUrl === undefined ? undefined : { url: natsUrl, required: !embedded || settings.natsUrl !== undefined },
    force: args.force,
    watchMs: settings.leaseMs,
  });
}
