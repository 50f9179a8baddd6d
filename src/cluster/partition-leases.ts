import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import { assertFloorKnown, claimEpoch, knownMigrations, readClusterId, SchemaTooNewError } from '../store/index.ts';
import type { Logger } from '../observability/index.ts';
import { isStreamNotFound, retryCreationRace, retryTimeouts } from '../bus/index.ts';
import { bindClusterId, ClusterMismatchError } from './cluster-id.ts';
import { claimOrder, fairShare } from './fair-share.ts';

/** The NATS KV bucket of cluster membership and partition leases. */
export const CLUSTER_BUCKET = 'parley_cluster';

/** `partitions.<n>`: who holds the lease, and the epoch it was granted with. `owner` null: released. */
export interface LeaseValue {
  owner: string | null;
  epoch: number;
}

/** `members.<node>`: a live router, kept fresh by its heartbeat. */
export interface MemberValue {
  node: string;
  since: string;
}

export type LossReason = 'released' | 'taken' | 'expired';

export interface PartitionLeaseHooks {
  /** The node owns the partition now: its lease is held and its epoch recorded in the store. */
  gained(partition: number, epoch: number): Promise<void>;
  /** The node must stop taking work for the partition (what is in flight fails on the fence). */
  lost(partition: number, reason: LossReason): Promise<void>;
}

export interface PartitionLeasesOptions {
  nc: NatsConnection;
  db: Kysely<Database>;
  /** This node's name, unique in the cluster and stable across restarts (a StatefulSet pod name). */
  nodeId: string;
  partitions: number;
  /** A lease not renewed for this long is free to take. */
  leaseMs: number;
  /** How often leases are renewed and the share rebalanced (well below `leaseMs`). */
  heartbeatMs: number;
  log: Logger;
  /** A partition changed hands on this node (for metrics). */
  onHandover?(kind: 'gained' | LossReason): void;
  /**
   * This node must not work here, and the process should exit:
   * - `ClusterMismatchError`: the cluster bucket was recreated by a router of another
   *   database. This node gave up every partition and stopped (it must never adopt that bucket).
   * - `SchemaTooNewError`: a newer release raised the database's schema floor (found when
   *   taking a partition). This node takes no more partitions; stopping hands over those it holds.
   * @default nothing: the node stays as it is and `healthy()` says false
   */
  onRefused?(err: ClusterMismatchError | SchemaTooNewError): void;
}

interface Seen {
  entry: KvEntry | undefined;
  /** When this node last saw the key change (its own clock): leases expire by it, so clocks need not agree. */
  seenAt: number;
}

interface Held {
  epoch: number;
  revision: number;
  renewedAt: number;
  /** Claimed in KV and recorded in the store: the node works on it. */
  active: boolean;
}

const memberKey = (node: string) => `members.${node}`;
const partitionKey = (p: number) => `partitions.${p}`;

/** Node ids become KV key tokens and NATS subject tokens. */
export const NODE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Partition ownership through leases in NATS KV. Each node announces itself under
 * `members.<node>`, computes its fair share of the partitions from the live members,
 * claims free or expired partitions by compare-and-set on the key's revision, renews
 * them on every heartbeat (again by revision, so a lease taken by someone else is
 * noticed at once) and releases its excess when others join. A claim is recorded in
 * PostgreSQL as the partition's new epoch before the node touches the partition: that
 * is the fence that stops a previous owner which has not noticed yet.
 */
export class PartitionLeases {
  private kv!: KV;
  private readonly seen = new Map<string, Seen>();
  /** When the bucket this node watches was created: another value means it was deleted and created again. */
  private bucketCreated: string | undefined;
  /** The revision of this node's member entry, renewed by compare-and-set. */
  private memberRevision: number | undefined;
  private readonly held = new Map<number, Held>();
  private heartbeat: NodeJS.Timeout | undefined;
  private watcher: { stop(): void } | undefined;
  private rebalancing: Promise<void> | undefined;
  private rebalanceAgain = false;
  private stopped = false;
  private beating = false;
  private lastBeatAt = performance.now();
  /** The database's cluster id, which the bucket must record (read once: it never changes). */
  private clusterId: string | undefined;
  /** Why the bucket must be opened afresh at the next heartbeat (an earlier attempt failed). */
  private reopenPending: string | undefined;
  /** Set when the bucket turned out to belong to another database: nothing more is done. */
  private refused: ClusterMismatchError | undefined;
  /** Set when the database's schema turned out to need a newer release: no partition is taken any more. */
  private schemaRefused: SchemaTooNewError | undefined;
  readonly leaseMs: number;
  readonly heartbeatMs: number;

  constructor(private readonly options: PartitionLeasesOptions) {
    if (!NODE_ID.test(options.nodeId)) throw new Error(`node id "${options.nodeId}" must match ${NODE_ID}`);
    this.leaseMs = options.leaseMs;
    this.heartbeatMs = options.heartbeatMs;
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  private hooks: PartitionLeaseHooks = { gained: () => Promise.resolve(), lost: () => Promise.resolve() };

  /** Joins the cluster and takes a first share of the partitions (resolves once those are active); `hooks` hear of every partition gained and lost from now on. */
  async start(hooks: PartitionLeaseHooks): Promise<void> {
    this.hooks = hooks;
    this.clusterId = await readClusterId(this.options.db);
    await this.open();
    await this.beat();
    await this.rebalance();
    this.heartbeat = setInterval(() => void this.beat().then(() => this.rebalance()), this.heartbeatMs);
  }

  /**
   * Creates the bucket if need be, makes sure it is this database's (ClusterMismatchError
   * otherwise), watches it, and reads what it holds.
   */
  private async open(): Promise<void> {
    const kv = await openClusterBucket(this.options.nc);
    await retryTimeouts(() => bindClusterId(kv, this.clusterId as string));
    this.kv = kv;
    this.bucketCreated = (await this.bucketInfo())?.created;
    const watch = await this.kv.watch({ include: 'updates' });
    this.watcher = watch;
    void (async () => {
      for await (const entry of watch) this.observe(entry);
    })().catch((err: unknown) => this.options.log.error('lease watch ended', { err }));
    for await (const key of await this.kv.keys()) {
      const entry = await this.kv.get(key);
      if (entry) this.observe(entry);
    }
  }

  /** The bucket's stream, or undefined when it does not exist. */
  private async bucketInfo(): Promise<{ created: string } | undefined> {
    try {
      return await (await jetstreamManager(this.options.nc)).streams.info(`KV_${CLUSTER_BUCKET}`);
    } catch (err) {
      if (isStreamNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Renews this node's member entry by compare-and-set on its last revision: in the
   * bucket this node watches, only this node writes that key, so a refusal means the
   * bucket was replaced (deleted, maybe created again by another router) or the entry
   * was removed while this node was silent for long.
   */
  private async renewMembership(): Promise<void> {
    const value = JSON.stringify({ node: this.nodeId, since: new Date().toISOString() } satisfies MemberValue);
    const key = memberKey(this.nodeId);
    try {
      this.memberRevision = this.memberRevision === undefined ? await this.kv.put(key, value) : await this.kv.update(key, value, this.memberRevision);
    } catch (err) {
      const info = await this.bucketInfo();
      if (info?.created !== this.bucketCreated) await this.reopen(info ? 'the bucket was created again' : 'the bucket does not exist');
      else if (isWrongRevision(err)) this.memberRevision = await this.kv.put(key, value);
      else throw err;
    }
  }

  /**
   * The bucket was deleted (by hand, or NATS restarted without its storage): every lease
   * went with it. The partitions held are given up, and the bucket is created again if
   * need be and watched afresh. Its revisions start over, so what was seen of the old
   * one is forgotten; the epochs stay in the store, and new claims go above them.
   */
  private async reopen(why: string): Promise<void> {
    this.options.log.warn('the cluster bucket was lost: opening it afresh', { bucket: CLUSTER_BUCKET, why });
    this.reopenPending = why;
    this.watcher?.stop();
    this.seen.clear();
    this.memberRevision = undefined;
    for (const p of [...this.held.keys()]) await this.drop(p, 'expired');
    try {
      await this.open();
      this.reopenPending = undefined;
    } catch (err) {
      if (!(err instanceof ClusterMismatchError)) throw err;
      // Recreated by a router of another database: adopting it would store this cluster's
      // conversations under the other's leases. Nothing is held any more; stop here.
      this.refused = err;
      this.stopped = true;
      clearInterval(this.heartbeat);
      this.watcher?.stop();
      this.options.log.error('the cluster bucket now belongs to another database: this router stops', { bucket: CLUSTER_BUCKET, err });
      this.options.onRefused?.(err);
    }
  }

  /** The epoch this node may write a partition with, or undefined if it does not (or no longer safely) own it. */
  epochOf(partition: number): number | undefined {
    const held = this.held.get(partition);
    if (!held?.active) return undefined;
    // Stop before anyone else may start: others wait a full lease after they last saw it renewed.
    if (performance.now() - held.renewedAt > this.leaseMs - this.heartbeatMs) return undefined;
    return held.epoch;
  }

  owned(): number[] {
    return [...this.held].filter(([p]) => this.epochOf(p) !== undefined).map(([p]) => p).sort((a, b) => a - b);
  }

  /** False when the heartbeat has stalled (the event loop is stuck): the liveness probe's answer. */
  healthy(): boolean {
    if (this.refused || this.schemaRefused) return false;
    return performance.now() - this.lastBeatAt < Math.max(this.leaseMs, 3 * this.heartbeatMs);
  }

  /** Every member and lease as this node sees them. */
  describe(): { node: string; members: string[]; partitions: { partition: number; owner: string | null; epoch: number }[] } {
    const partitions: { partition: number; owner: string | null; epoch: number }[] = [];
    for (let p = 0; p < this.options.partitions; p++) {
      const lease = this.lease(p);
      partitions.push({ partition: p, owner: lease && !this.expired(partitionKey(p)) ? lease.owner : null, epoch: lease?.epoch ?? 0 });
    }
    return { node: this.nodeId, members: this.members(), partitions };
  }

  /** Leaves the cluster: hands every partition over (released, not left to expire) and removes the member entry. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeat);
    await this.rebalancing;
    // Refused: the bucket is another database's, and nothing of this node is in it.
    if (this.refused) return;
    // Out of the member list first, so the others count without this node as the partitions come free.
    await this.kv.delete(memberKey(this.nodeId)).catch((err: unknown) => this.options.log.warn('could not leave the member list', { err }));
    await Promise.all([...this.held.keys()].map((p) => this.release(p)));
    this.watcher?.stop();
  }

  private observe(entry: KvEntry): void {
    if (!entry.key.startsWith('members.') && !entry.key.startsWith('partitions.')) return;
    const current = this.seen.get(entry.key)?.entry;
    if (current && current.revision >= entry.revision) return;
    this.seen.set(entry.key, { entry: entry.operation === 'PUT' ? entry : undefined, seenAt: performance.now() });
    const partition = entry.key.startsWith('partitions.') ? Number(entry.key.slice('partitions.'.length)) : undefined;
    const held = partition === undefined ? undefined : this.held.get(partition);
    if (held && partition !== undefined && entry.revision > held.revision) {
      const lease = entry.operation === 'PUT' ? entry.json<LeaseValue>() : undefined;
      if (lease?.owner !== this.nodeId || lease.epoch !== held.epoch) void this.drop(partition, 'taken');
    }
    // A member came or went, or a lease was released: the shares change now, not at the next heartbeat.
    if (entry.key.startsWith('members.') || entry.operation !== 'PUT' || entry.json<LeaseValue>().owner === null) this.requestRebalance();
  }

  /**
   * A crashed router's member entry stays in the bucket (2.9 has no per-key TTL). One not
   * renewed for three lease times is deleted, by compare-and-set on the revision seen, so
   * a router that renews it meanwhile keeps it; of several routers trying, one succeeds.
   */
  private async forgetDeparted(): Promise<void> {
    for (const [key, seen] of this.seen) {
      if (!key.startsWith('members.') || !seen.entry || key === memberKey(this.nodeId)) continue;
      if (performance.now() - seen.seenAt <= 3 * this.leaseMs) continue;
      // Failing means another router deleted it first, or it was renewed: nothing to do.
      await this.kv.delete(key, { previousSeq: seen.entry.revision }).catch(() => undefined);
    }
  }

  private lease(p: number): LeaseValue | undefined {
    return this.seen.get(partitionKey(p))?.entry?.json<LeaseValue>();
  }

  private expired(key: string): boolean {
    const seen = this.seen.get(key);
    return !seen || performance.now() - seen.seenAt > this.leaseMs;
  }

  private members(): string[] {
    const members = new Set<string>([this.nodeId]);
    for (const [key, seen] of this.seen) {
      if (key.startsWith('members.') && seen.entry && !this.expired(key)) members.add(key.slice('members.'.length));
    }
    return [...members].sort();
  }

  /** Renews the member entry and every held lease, each by compare-and-set on the revision this node wrote last. */
  private async beat(): Promise<void> {
    if (this.stopped || this.beating) return;
    this.beating = true;
    this.lastBeatAt = performance.now();
    try {
      if (this.reopenPending) await this.reopen(this.reopenPending);
      await this.renewMembership();
    } catch (err) {
      this.options.log.warn('member heartbeat failed', { err });
    }
    await Promise.all([...this.held].map(([p, held]) => this.renew(p, held)));
    await this.forgetDeparted();
    this.beating = false;
  }

  private async renew(p: number, held: Held): Promise<void> {
    const started = performance.now();
    const key = partitionKey(p);
    try {
      held.revision = await this.kv.update(key, JSON.stringify({ owner: this.nodeId, epoch: held.epoch } satisfies LeaseValue), held.revision);
      held.renewedAt = started;
    } catch (err) {
      if (isWrongRevision(err)) {
        // Someone wrote the key since: another node (the lease is gone), or this node in a claim that raced the renewal.
        const current = await this.kv.get(key).catch(() => null);
        const lease = current?.operation === 'PUT' ? current.json<LeaseValue>() : undefined;
        if (current && lease?.owner === this.nodeId && lease.epoch === held.epoch) {
          held.revision = Math.max(held.revision, current.revision);
          return;
        }
        return this.drop(p, 'taken');
      }
      this.options.log.warn('lease renewal failed', { partition: p, err });
      if (performance.now() - held.renewedAt > this.leaseMs - this.heartbeatMs) await this.drop(p, 'expired');
    }
  }

  private requestRebalance(): void {
    if (this.stopped) return;
    if (this.rebalancing) this.rebalanceAgain = true;
    else void this.rebalance();
  }

  /** Moves this node's share toward its fair share: releases the excess, claims what is free. */
  private async rebalance(): Promise<void> {
    if (this.rebalancing) return this.rebalancing;
    this.rebalancing = (async () => {
      do {
        this.rebalanceAgain = false;
        try {
          await this.rebalanceOnce();
        } catch (err) {
          this.options.log.warn('rebalance failed', { err });
        }
      } while (this.rebalanceAgain && !this.stopped);
    })();
    await this.rebalancing;
    this.rebalancing = undefined;
  }

  private async rebalanceOnce(): Promise<void> {
    // Not into a bucket that is not known to be this database's yet.
    if (this.stopped || this.reopenPending || this.schemaRefused) return;
    const { partitions, nodeId } = this.options;
    const target = fairShare(this.members(), nodeId, partitions);
    const excess = this.held.size - target;
    if (excess > 0) {
      const releasing = [...this.held.keys()].sort((a, b) => b - a).slice(0, excess);
      this.options.log.info('releasing partitions above the fair share', { target, members: this.members(), partitions: releasing });
      await Promise.all(releasing.map((p) => this.release(p)));
      return;
    }
    // Claimed together (a node taking over a share must not queue its claims one behind
    // the other), and again while some were lost to another node's claim and others are free.
    for (let progress = true; progress && !this.stopped && this.held.size < target; ) {
      const batch = claimOrder(nodeId, partitions).filter((p) => this.claimable(p)).slice(0, target - this.held.size);
      progress = (await Promise.all(batch.map((p) => this.claim(p)))).some(Boolean);
    }
  }

  /** Free: never claimed, released, expired, or held by this node's previous life (same name, restarted). */
  private claimable(p: number): boolean {
    if (this.held.has(p)) return false;
    const lease = this.lease(p);
    return !lease || lease.owner === null || lease.owner === this.nodeId || this.expired(partitionKey(p));
  }

  private async claim(p: number): Promise<boolean> {
    // Judged on the very entry whose revision the claim is conditional on: the lease may
    // have been taken since the partition looked free.
    if (!this.claimable(p)) return false;
    const key = partitionKey(p);
    const seen = this.seen.get(key)?.entry;
    let epoch = (seen ? seen.json<LeaseValue>().epoch : 0) + 1;
    const value = () => JSON.stringify({ owner: this.nodeId, epoch } satisfies LeaseValue);
    let revision: number;
    try {
      revision = seen ? await this.kv.update(key, value(), seen.revision) : await this.kv.create(key, value());
    } catch (err) {
      if (!isWrongRevision(err)) this.options.log.warn('lease claim failed', { partition: p, err });
      return false;
    }
    const held: Held = { epoch, revision, renewedAt: performance.now(), active: false };
    this.held.set(p, held);
    try {
      // The store may know this epoch or a later one (the bucket was recreated and its
      // epochs started over): claim above it, so that no two claims share an epoch.
      const claim = await claimEpoch(this.options.db, p, epoch, this.nodeId);
      if (!claim.claimed) {
        epoch = claim.stored + 1;
        held.epoch = epoch;
        held.revision = await this.kv.update(key, value(), held.revision);
        if (!(await claimEpoch(this.options.db, p, epoch, this.nodeId)).claimed) throw new Error(`epoch ${epoch} refused by the store`);
      }
      // Read after the claim is recorded: a migration that raised the floor either committed
      // before (and is seen here), or raised this claim's epoch with it (and fences it).
      await assertFloorKnown(this.options.db, knownMigrations);
      if (this.held.get(p) !== held) return false;
      held.active = true;
      await this.hooks.gained(p, epoch);
      this.options.onHandover?.('gained');
      this.options.log.info('partition gained', { partition: p, epoch });
      return true;
    } catch (err) {
      if (err instanceof SchemaTooNewError) {
        if (this.held.get(p) === held) await this.release(p);
        if (!this.schemaRefused) {
          this.schemaRefused = err;
          this.options.log.error('the database schema needs a newer release: this router takes no more partitions', { err });
          this.options.onRefused?.(err);
        }
        return false;
      }
      this.options.log.warn('partition claim not completed', { partition: p, err });
      if (this.held.get(p) === held) await this.release(p);
      return false;
    }
  }

  /** Stops work on the partition, then frees its lease so another node can claim it at once. */
  private async release(p: number): Promise<void> {
    const held = this.held.get(p);
    if (!held) return;
    await this.drop(p, 'released');
    try {
      await this.kv.update(partitionKey(p), JSON.stringify({ owner: null, epoch: held.epoch } satisfies LeaseValue), held.revision);
    } catch (err) {
      if (!isWrongRevision(err)) this.options.log.warn('lease release failed (it will expire)', { partition: p, err });
    }
  }

  private async drop(p: number, reason: LossReason): Promise<void> {
    const held = this.held.get(p);
    if (!held) return;
    this.held.delete(p);
    if (!held.active) return;
    this.options.log[reason === 'released' ? 'info' : 'warn']('partition lost', { partition: p, reason });
    this.options.onHandover?.(reason);
    await this.hooks.lost(p, reason);
  }
}

/** Opens the cluster bucket, creating it on first use (the same settings every time), asking again while JetStream answers late or another router creates it at the same time. */
export function openClusterBucket(nc: NatsConnection): Promise<KV> {
  return retryTimeouts(() => retryCreationRace(() => new Kvm(nc).create(CLUSTER_BUCKET, { history: 1, description: 'Parley cluster: members and partition leases' })));
}

function isWrongRevision(err: unknown): boolean {
  const e = err as { message?: string; api_error?: { err_code?: number } };
  return e.api_error?.err_code === 10071 || /wrong last sequence|key exists/i.test(e.message ?? '');
}
