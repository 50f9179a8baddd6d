import { hostname } from 'node:os';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import { register as globalRegistry, type Registry } from 'prom-client';
import type { ConfigRegistry } from '../config/index.ts';
import type { Database } from '../store/index.ts';
import { DEFAULT_PARTITION_COUNT } from '../partition/index.ts';
import { createLogger, type Logger } from '../observability/index.ts';

/**
 * A routing node's options. Every default is here, documented with `@default`, and
 * resolved once by `compileRouterOptions`; the pieces below the router get complete
 * values and default nothing themselves. docs/cluster.md lists the defaults (held to
 * this file by a test).
 */
export interface RouterOptions {
  nc: NatsConnection;
  db: Kysely<Database>;
  config: ConfigRegistry;
  /** @default the prom-client global registry */
  registry?: Registry;
  /** @default a logger of component `router` */
  logger?: Logger;
  /** Agent commands processed at once. @default 64 */
  concurrency?: number;
  /**
   * Customer messages (and receipts) a router holds at once: read from JetStream ahead of
   * the database, so that the group commit sees a new customer behind a burst and takes
   * it first, instead of the customer waiting in the stream for the burst to drain. Kept
   * below `maxBacklog`, which also counts actor events and other routers' messages. Each
   * held message is kept from redelivery by in-progress acks. @default 4000
   */
  readAhead?: number;
  /** Deliveries after which a message that keeps failing is dead-lettered. @default 10 */
  maxDeliveries?: number;
  /** This router's name in the cluster: unique, stable across restarts (the pod name). @default `<hostname>-<pid>` */
  nodeId?: string;
  /** Partitions of conversations and agents; every router and the store must agree. @default 64 */
  partitions?: number;
  /** A partition lease not renewed for this long is taken over. @default 10000 */
  leaseMs?: number;
  /** How often leases are renewed and shares rebalanced. @default leaseMs / 5 (at least 100) */
  heartbeatMs?: number;
  /** How often the schedulers re-read agents and waiting conversations from the store. @default 30000 */
  resyncMs?: number;
  /**
   * The connections that record partition claims (the fencing epochs): apart from the
   * message path's, so a takeover under load does not queue behind the work it takes over.
   * @default db
   */
  leaseDb?: Kysely<Database>;
  /** How long repeats of one warning or error are summed up into one log line. @default 10000 */
  repeatedLogIntervalMs?: number;
  /** Work items (customer messages, actor events) committed in one transaction at most. @default 100 */
  maxBatch?: number;
  /**
   * Transactions of actor work at once. Below the connection pool's size, so that reads
   * (schedulers' rebuilds, receipts, the sweeps) always find a connection; work arriving
   * meanwhile makes the next batches larger. One of them is left to express work (new
   * customers, events); more bulk transactions at once make each round trip of an express
   * one wait longer, for no more throughput (measured on 2 cores, docs/cluster.md §15).
   * When all are taken, one more runs events alone (an offer, an accept), so keep this
   * below the pool's size less one.
   * @default 3
   */
  maxConcurrentCommits?: number;
  /**
   * Work waiting for its transaction at most; a customer message beyond is refused as
   * `unavailable` and stays in JetStream to be redelivered. @default 5000
   */
  maxBacklog?: number;
  /**
   * How long a request to another node (the owner of a partition) may take. A timeout
   * makes the caller retry work the owner may still do, so it is generous. @default 15000
   */
  partitionRequestTimeoutMs?: number;
  /**
   * An active actor (conversation, agent) not used for this long is passivated: dropped
   * from the router's memory, its row being the truth; its next event activates it again.
   * @default 300000
   */
  actorIdleMs?: number;
  /** Active actors kept in memory at most; beyond, the least recently used is passivated. @default 200000 */
  maxActiveActors?: number;
  /** How often outbox rows left behind are retried, and how old they must be. @default 2000 */
  outboxSweepMs?: number;
  /** The longest the timer service sleeps before looking at the timers again. @default 1000 */
  timerMaxSleepMs?: number;
  /**
   * The router must not work here, and the process should exit: the cluster bucket turned
   * out to belong to another database (`ClusterMismatchError`: it stopped working), or a
   * newer release raised the database's schema floor (`SchemaTooNewError`: it takes no
   * more partitions; stopping hands over those it holds).
   */
  onRefused?(err: Error): void;
}

/** The options with every default applied. */
export type CompiledRouterOptions = Required<Omit<RouterOptions, 'onRefused'>> & Pick<RouterOptions, 'onRefused'>;

/** Applies the defaults, once. */
export function compileRouterOptions(options: RouterOptions): CompiledRouterOptions {
  const leaseMs = options.leaseMs ?? 10_000;
  return {
    ...options,
    registry: options.registry ?? globalRegistry,
    logger: options.logger ?? createLogger({ component: 'router' }),
    concurrency: options.concurrency ?? 64,
    readAhead: options.readAhead ?? 4_000,
    maxDeliveries: options.maxDeliveries ?? 10,
    nodeId: options.nodeId ?? `${hostname().replace(/[^A-Za-z0-9_-]/g, '-')}-${process.pid}`,
    partitions: options.partitions ?? DEFAULT_PARTITION_COUNT,
    leaseMs,
    heartbeatMs: options.heartbeatMs ?? Math.max(100, Math.floor(leaseMs / 5)),
    resyncMs: options.resyncMs ?? 30_000,
    leaseDb: options.leaseDb ?? options.db,
    repeatedLogIntervalMs: options.repeatedLogIntervalMs ?? 10_000,
    maxBatch: options.maxBatch ?? 100,
    maxConcurrentCommits: options.maxConcurrentCommits ?? 3,
    maxBacklog: options.maxBacklog ?? 5_000,
    partitionRequestTimeoutMs: options.partitionRequestTimeoutMs ?? 15_000,
    actorIdleMs: options.actorIdleMs ?? 300_000,
    maxActiveActors: options.maxActiveActors ?? 200_000,
    outboxSweepMs: options.outboxSweepMs ?? 2_000,
    timerMaxSleepMs: options.timerMaxSleepMs ?? 1_000,
  };
}
