import type { KubeConfig } from '@kubernetes/client-node';
import type { KV } from '@nats-io/kv';
import { Registry } from 'prom-client';
import { listConfigKeys, type ResourceKind } from '../src/config/index.ts';
import type { Logger } from '../src/observability/index.ts';
import { Controller, keyOf, objectKey, splitKey, TerminalError, type ObjectEvent } from './controller.ts';
import { CampaignReports } from './campaign-reports.ts';
import { Informers } from './informers.ts';
import { ParleyClient } from './kube-client.ts';
import { LeaderElector } from './leader.ts';
import type { EventRecorder } from './event-reasons.ts';
import { KubeEventRecorder } from './events.ts';
import { OperatorMetrics, type ReconcileResult } from './metrics.ts';
import { reconcile } from './reconcile.ts';
import { isTerminating, Kinds, type ParleyObject } from './resources.ts';
import type { BackoffOptions } from './work-queue.ts';

export interface LeaderElectionSettings {
  /** Namespace of the Lease. @default "default" (run-operator passes POD_NAMESPACE) */
  namespace?: string;
  /** @default "parley-operator" */
  name?: string;
  /** @default `<hostname>_<uuid>` */
  identity?: string;
  /** @default 15 */
  leaseDurationSeconds?: number;
  /** @default 5000 */
  renewEveryMs?: number;
  /** @default 10000 */
  renewDeadlineMs?: number;
}

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  /** The configuration bucket (`openConfigBucket`). */
  kv: KV;
  /**
   * The campaign status bucket (`openCampaignStatusBucket`): what the campaign processes
   * report is written to each Campaign's status. Absent: Campaigns show zero progress.
   */
  campaignStatus?: KV;
  logger?: Logger;
  /** Where the parley_operator_* metrics go. @default a new Registry */
  registry?: Registry;
  /** `false`: this instance reconciles without electing a leader (one replica only). @default {} */
  leaderElection?: LeaderElectionSettings | false;
  /** Reconciles at the same time, per kind. @default 4 */
  workers?: number;
  /** Retry delays after a failed reconcile. @default 500 ms doubling to 5 min */
  backoff?: BackoffOptions;
  /** Every resource is reconciled again this often, and stray bucket entries removed. @default 300000 */
  resyncEveryMs?: number;
  /**
   * The namespaces to serve (one watch each, for RBAC that grants only those); bucket
   * entries of other namespaces are left alone. @default every namespace
   */
  namespaces?: readonly string[];
}

export interface Operator {
  /** This instance's identity in the leader Lease. */
  readonly identity: string;
  /** Whether this instance is the leader and its controllers run. */
  readonly isLeader: boolean;
  /** Whether the informers hold a complete list of every kind. */
  readonly synced: boolean;
  waitForSync(): Promise<void>;
  /** Stops reconciling (in-progress reconciles finish), releases the Lease, stops the informers. */
  stop(): Promise<void>;
}

/**
 * Starts the operator: informers on Channel, Queue and Campaign in every namespace (or those
 * of `namespaces`) on every instance, so that a standby's caches are warm; leader election;
 * and — on the leader only, once the caches are synced — one controller per kind that
 * reconciles into the configuration bucket.
 */
export function startOperator(options: OperatorOptions): Operator {
  const log = options.logger;
  const client = new ParleyClient(options.kubeConfig);
  const informers = new Informers(options.kubeConfig, client, options.namespaces, log);
  const metrics = new OperatorMetrics(options.registry ?? new Registry());
  metrics.watch(informers);
  const reports = options.campaignStatus && new CampaignReports(options.campaignStatus, log);
  // Watched on every instance, like the informers: a new leader has the reports at once.
  const reportsStarted = reports?.start().catch((err: unknown) => log?.error('cannot watch the campaign status bucket', { err }));

  let epoch = 0;
  let current: ReconcileSession | undefined;
  let stopping = false;
  const lead = () => {
    const mine = ++epoch;
    informers.waitForSync().then(
      () => {
        // Leadership may have ended while the caches filled.
        if (mine !== epoch || stopping) return;
        current = new ReconcileSession(options, client, informers, metrics, events, reports);
        current.start();
        metrics.setLeader(true);
      },
      (err: unknown) => log?.error('informers never synced', { err }),
    );
  };
  const unlead = async () => {
    epoch++;
    const session = current;
    current = undefined;
    metrics.setLeader(false);
    await session?.stop();
  };

  const election =
    options.leaderElection === false
      ? undefined
      : new LeaderElector({
          ...options.leaderElection,
          kubeConfig: options.kubeConfig,
          namespace: options.leaderElection?.namespace ?? 'default',
          onStartedLeading: lead,
          onStoppedLeading: unlead,
          ...(log && { logger: log }),
        });

  // Events name this instance (the Lease identity) as their reporting instance.
  const events = new KubeEventRecorder(options.kubeConfig, election?.identity ?? 'standalone', log);
  informers.start();
  if (election) election.start();
  else lead();

  return {
    identity: election?.identity ?? 'standalone',
    get isLeader() {
      return current !== undefined;
    },
    get synced() {
      return informers.synced;
    },
    waitForSync: () => informers.waitForSync(),
    async stop() {
      stopping = true;
      if (election) await election.stop();
      await unlead();
      await informers.stop();
      await reportsStarted;
      await reports?.stop();
    },
  };
}

/** One term of leadership: a controller per kind, fed by the shared informers. */
class ReconcileSession {
  private readonly controllers: Record<ResourceKind, Controller>;
  private stopReports: (() => void) | undefined;

  constructor(
    private readonly options: OperatorOptions,
    private readonly client: ParleyClient,
    private readonly informers: Informers,
    private readonly metrics: OperatorMetrics,
    private readonly events: EventRecorder,
    private readonly reports: CampaignReports | undefined,
  ) {
    const make = (kind: ResourceKind) =>
      new Controller({
        name: kind,
        reconcile: (key) => this.reconcile(kind, key),
        ...(options.workers !== undefined && { workers: options.workers }),
        ...(options.backoff && { backoff: options.backoff }),
        ...(options.logger && { logger: options.logger.child({ kind }) }),
      });
    this.controllers = { Queue: make('Queue'), Channel: make('Channel'), Campaign: make('Campaign') };
  }

  start(): void {
    const { Queue, Channel } = this.informers.byKind;
    for (const kind of Kinds) {
      const controller = this.controllers[kind];
      controller.watch(this.informers.byKind[kind]);
      // Every kind names queues, and a Campaign names a channel: when one appears or
      // goes away, the validity of the others in its namespace may change.
      controller.watch(Queue, (obj, event) => this.dependents(kind, obj, event));
      if (kind === 'Campaign') controller.watch(Channel, (obj, event) => this.dependents(kind, obj, event));
      controller.resync(this.options.resyncEveryMs ?? 300_000, () => this.keys(kind));
    }
    // A new report is a change of the Campaign's status to write.
    this.stopReports = this.reports?.onChange((key) => {
      if (this.informers.byKind.Campaign.serves(splitKey(key).namespace)) this.controllers.Campaign.enqueue(key);
    });
    // Everything once at the start of the term, stray bucket entries included.
    for (const kind of Kinds) {
      const controller = this.controllers[kind];
      for (const key of this.cachedKeys(kind)) controller.enqueue(key);
      void this.strayKeys(kind).then((keys) => {
        for (const key of keys) controller.enqueue(key);
      });
      controller.start();
    }
  }

  async stop(): Promise<void> {
    this.stopReports?.();
    await Promise.all(Kinds.map((kind) => this.controllers[kind].stop()));
  }

  /**
   * The `kind` objects of `obj`'s namespace, when `obj` (a Queue or Channel) was added,
   * deleted or began deleting — the changes that can make a reference dangle or resolve.
   * All of them rather than those that name it: only existence matters here, existence
   * changes are rare, and a reconcile with nothing to do writes nothing.
   */
  private dependents(kind: ResourceKind, obj: ParleyObject, event: ObjectEvent): string[] {
    if (event === 'update' && !isTerminating(obj)) return [];
    const namespace = obj.metadata.namespace ?? '';
    return this.informers.byKind[kind].list(namespace).map(keyOf);
  }

  /** Every `kind` object in the caches, and every bucket entry of that kind without one. */
  private async keys(kind: ResourceKind): Promise<string[]> {
    return [...this.cachedKeys(kind), ...(await this.strayKeys(kind))];
  }

  private cachedKeys(kind: ResourceKind): string[] {
    return this.informers.byKind[kind].list().map(keyOf);
  }

  /**
   * Bucket entries of `kind`, in the namespaces served, that no cached object accounts for
   * (deleted while no operator ran): reconciling a key the API server does not know
   * removes its entry. None when the bucket cannot be listed (logged; next resync retries).
   */
  private async strayKeys(kind: ResourceKind): Promise<string[]> {
    const cache = this.informers.byKind[kind];
    const prefix = `${kind.toLowerCase()}.`;
    let entries: string[];
    try {
      entries = await listConfigKeys(this.options.kv);
    } catch (err) {
      this.options.logger?.warn('listing the configuration bucket failed', { kind, err });
      return [];
    }
    const keys: string[] = [];
    for (const entry of entries) {
      if (!entry.startsWith(prefix)) continue;
      const [namespace = '', name = ''] = entry.slice(prefix.length).split('.');
      if (cache.serves(namespace) && !cache.get(namespace, name)) keys.push(objectKey(namespace, name));
    }
    return keys;
  }

  private async reconcile(kind: ResourceKind, key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const started = performance.now();
    let result: ReconcileResult = 'error';
    try {
      // The latest object, not the cache's copy, which may predate our own last write.
      const obj = await this.client.get(kind, namespace, name);
      if (obj) obj.kind = kind;
      result = await reconcile(kind, namespace, name, obj, {
        kv: this.options.kv,
        writer: this.client,
        existing: this.informers,
        events: this.events,
        ...(this.reports && { campaignReports: this.reports }),
      });
      this.options.logger?.debug('reconciled', { kind, key, result });
    } catch (err) {
      result = err instanceof TerminalError ? 'terminal_error' : 'error';
      throw err;
    } finally {
      this.metrics.reconciled(kind, result, (performance.now() - started) / 1000);
    }
  }
}
