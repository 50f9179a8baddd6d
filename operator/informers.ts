import { makeInformer, type Informer, type KubeConfig, type ObjectCache } from '@kubernetes/client-node';
import type { ResourceKind } from '../src/config/index.ts';
import type { Logger } from '../src/observability/index.ts';
import type { EventSource } from './controller.ts';
import { ParleyClient } from './kube-client.ts';
import { isTerminating, Kinds, type ParleyObject } from './resources.ts';
import type { ExistingResources } from './validate.ts';
import { Backoff } from './work-queue.ts';

type Verb = 'add' | 'update' | 'delete';

/**
 * A list-and-watch cache of one kind, in one namespace or all. client-node's informer
 * stops for good on a watch error other than "resource version too old"; this one starts
 * it again after a backoff (1 s doubling to 30 s), resuming from the last resource version.
 */
export class ResourceInformer implements EventSource<ParleyObject> {
  private readonly informer: Informer<ParleyObject> & ObjectCache<ParleyObject>;
  private readonly backoff = new Backoff({ baseMs: 1_000, maxMs: 30_000 });
  private restartTimer: NodeJS.Timeout | undefined;
  private listed = false;
  private stopped = false;
  private readonly syncWaiters: (() => void)[] = [];

  constructor(
    readonly kind: ResourceKind,
    /** undefined: every namespace. */
    readonly namespace: string | undefined,
    kc: KubeConfig,
    client: ParleyClient,
    private readonly log?: Logger,
  ) {
    this.informer = makeInformer(kc, ParleyClient.watchPath(kind, namespace), async () => {
      const list = await client.list(kind, namespace);
      // Items of a list may omit their kind; every object in the cache carries it.
      for (const item of list.items) item.kind = kind;
      this.markListed();
      return list;
    });
    this.informer.on('error', (err: unknown) => this.restart(err));
    // A watch that delivers again is healthy: the next failure starts from the short delay.
    const healthy = () => this.backoff.forget('watch');
    for (const verb of ['add', 'update', 'delete'] as const) this.informer.on(verb, healthy);
  }

  /** Starts listing and watching; `synced` once the first list arrived. */
  start(): void {
    this.stopped = false;
    this.informer.start().catch((err: unknown) => this.restart(err));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.informer.stop();
  }

  /** Whether the cache holds a complete list (it stays usable through watch reconnects). */
  get synced(): boolean {
    return this.listed;
  }

  /** Resolves once the cache holds a complete list. */
  waitForSync(): Promise<void> {
    if (this.listed) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  get(namespace: string, name: string): ParleyObject | undefined {
    return this.informer.get(name, namespace);
  }

  list(namespace?: string): readonly ParleyObject[] {
    return this.informer.list(namespace);
  }

  on(verb: Verb, cb: (obj: ParleyObject) => void): void {
    this.informer.on(verb, cb);
  }

  off(verb: Verb, cb: (obj: ParleyObject) => void): void {
    this.informer.off(verb, cb);
  }

  private markListed(): void {
    this.listed = true;
    this.backoff.forget('watch');
    for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  private restart(err: unknown): void {
    if (this.stopped) return;
    const delay = this.backoff.next('watch');
    this.log?.warn('watch failed; restarting', { kind: this.kind, namespace: this.namespace ?? '(all)', retryInMs: delay, err });
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (!this.stopped) this.start();
    }, delay);
  }
}

/**
 * The cache of one kind over the namespaces the operator serves: one informer for every
 * namespace, or one per listed namespace (when RBAC grants only those).
 */
export class KindCache implements EventSource<ParleyObject> {
  private readonly informers: ResourceInformer[];

  constructor(
    readonly kind: ResourceKind,
    namespaces: readonly string[] | undefined,
    kc: KubeConfig,
    client: ParleyClient,
    log?: Logger,
  ) {
    this.informers = namespaces?.length ? namespaces.map((ns) => new ResourceInformer(kind, ns, kc, client, log)) : [new ResourceInformer(kind, undefined, kc, client, log)];
  }

  /** Whether the operator serves `namespace`. */
  serves(namespace: string): boolean {
    return this.informers.some((i) => i.namespace === undefined || i.namespace === namespace);
  }

  start(): void {
    for (const i of this.informers) i.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  get synced(): boolean {
    return this.informers.every((i) => i.synced);
  }

  async waitForSync(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.waitForSync()));
  }

  get(namespace: string, name: string): ParleyObject | undefined {
    for (const i of this.informers) {
      if (i.namespace === undefined || i.namespace === namespace) return i.get(namespace, name);
    }
    return undefined;
  }

  list(namespace?: string): readonly ParleyObject[] {
    if (namespace === undefined) return this.informers.flatMap((i) => i.list());
    return this.informers.filter((i) => i.namespace === undefined || i.namespace === namespace).flatMap((i) => i.list(namespace));
  }

  on(verb: Verb, cb: (obj: ParleyObject) => void): void {
    for (const i of this.informers) i.on(verb, cb);
  }

  off(verb: Verb, cb: (obj: ParleyObject) => void): void {
    for (const i of this.informers) i.off(verb, cb);
  }
}

/** The caches of every kind, started together. */
export class Informers implements ExistingResources {
  readonly byKind: Record<ResourceKind, KindCache>;

  /** `namespaces`: the namespaces to serve; undefined or empty: all of them. */
  constructor(kc: KubeConfig, client: ParleyClient, namespaces?: readonly string[], log?: Logger) {
    const cache = (kind: ResourceKind) => new KindCache(kind, namespaces, kc, client, log);
    this.byKind = { Channel: cache('Channel'), Queue: cache('Queue'), Campaign: cache('Campaign') };
  }

  start(): void {
    for (const kind of Kinds) this.byKind[kind].start();
  }

  async stop(): Promise<void> {
    await Promise.all(Kinds.map((kind) => this.byKind[kind].stop()));
  }

  get synced(): boolean {
    return Kinds.every((kind) => this.byKind[kind].synced);
  }

  async waitForSync(): Promise<void> {
    await Promise.all(Kinds.map((kind) => this.byKind[kind].waitForSync()));
  }

  /** Live names: existing and not being deleted. */
  *names(kind: ResourceKind, namespace: string): Iterable<string> {
    for (const obj of this.byKind[kind].list(namespace)) {
      if (!isTerminating(obj) && obj.metadata.name) yield obj.metadata.name;
    }
  }
}
