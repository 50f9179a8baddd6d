import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from '../src/observability/index.ts';
import { httpStatus } from './kube-client.ts';

export interface LeaderElectionOptions {
  kubeConfig: KubeConfig;
  /** Namespace of the Lease: the operator's own. */
  namespace: string;
  /** @default "parley-operator" */
  name?: string;
  /** This instance, as written in `holderIdentity`. @default `<hostname>_<uuid>` */
  identity?: string;
  /** How long a lease holds without renewal. @default 15 */
  leaseDurationSeconds?: number;
  /** Renew (leader) or try to acquire (candidate) this often. @default 5000 */
  renewEveryMs?: number;
  /**
   * A leader that could not renew for this long stops leading, before the lease can
   * expire and another instance take it. @default 10000
   */
  renewDeadlineMs?: number;
  /** Called when this instance becomes leader. */
  onStartedLeading(): void;
  /** Called when it stops (lease lost, or stopping); leadership ends when it resolves. */
  onStoppedLeading(): Promise<void>;
  logger?: Logger;
}

/**
 * Leader election with a `coordination.k8s.io/v1` Lease, as client-go's leaderelection:
 * acquire and renew by replacing the Lease at the resourceVersion read (optimistic
 * concurrency: of two writers, one gets 409), judge expiry by the local clock since the
 * record last changed (no clock sync needed), step down when renewal fails past the
 * deadline, and release the Lease (empty holder) on stop so a standby takes over at once.
 */
export class LeaderElector {
  readonly identity: string;
  private readonly api: CoordinationV1Api;
  private readonly name: string;
  private readonly leaseDurationSeconds: number;
  private readonly renewEveryMs: number;
  private readonly renewDeadlineMs: number;
  private leading = false;
  private lastRenewAt = 0;
  /** The lease record as last seen, and when (local clock) it last changed. */
  private observed: { resourceVersion: string; at: number } | undefined;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly options: LeaderElectionOptions) {
    this.api = options.kubeConfig.makeApiClient(CoordinationV1Api);
    this.identity = options.identity ?? `${hostname()}_${randomUUID()}`;
    this.name = options.name ?? 'parley-operator';
    this.leaseDurationSeconds = options.leaseDurationSeconds ?? 15;
    this.renewEveryMs = options.renewEveryMs ?? 5_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops leading (waiting for `onStoppedLeading`), then releases the Lease if held. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    if (!this.leading) return;
    await this.stepDown('stopping');
    await this.release();
  }

  private async run(): Promise<void> {
    const log = this.options.logger;
    while (!this.abort.signal.aborted) {
      let held: boolean | 'error';
      try {
        held = await this.tryAcquireOrRenew();
      } catch (err) {
        log?.warn('leader lease: request failed', { lease: this.name, err });
        held = 'error';
      }
      if (this.abort.signal.aborted) return;
      if (held === true) {
        this.lastRenewAt = Date.now();
        if (!this.leading) {
          this.leading = true;
          log?.info('became leader', { lease: this.name, identity: this.identity });
          this.options.onStartedLeading();
        }
      } else if (this.leading && (held === false || Date.now() - this.lastRenewAt > this.renewDeadlineMs)) {
        // Someone else holds it, or we could not renew in time: another instance may take
        // it when it expires, so stop reconciling before that.
        await this.stepDown(held === false ? 'lease taken' : 'renew deadline passed');
      }
      try {
        // A leader whose renewal failed retries sooner, to renew within the deadline.
        const pause = this.leading && held === 'error' ? Math.min(this.renewEveryMs, 1_000) : this.renewEveryMs;
        await sleep(pause, undefined, { signal: this.abort.signal });
      } catch {
        return; // aborted: stop() takes it from here
      }
    }
  }

  private async stepDown(why: string): Promise<void> {
    this.leading = false;
    const fields = { lease: this.name, identity: this.identity, why };
    if (why === 'stopping') this.options.logger?.info('stopped leading', fields);
    else this.options.logger?.warn('stopped leading', fields);
    await this.options.onStoppedLeading();
  }

  /** true: we hold the lease now; false: someone else does. Throws on API failures. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace } = this.options;
    const now = new V1MicroTime(Date.now());
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name: this.name, namespace });
    } catch (err) {
      if (httpStatus(err) !== 404) throw err;
      try {
        await this.api.createNamespacedLease({
          namespace,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.name, namespace },
            spec: { holderIdentity: this.identity, leaseDurationSeconds: this.leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
          },
        });
        return true;
      } catch (createErr) {
        if (httpStatus(createErr) === 409) return false; // another instance created it first
        throw createErr;
      }
    }

    const resourceVersion = lease.metadata?.resourceVersion ?? '';
    if (this.observed?.resourceVersion !== resourceVersion) this.observed = { resourceVersion, at: Date.now() };
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const duration = (spec.leaseDurationSeconds ?? this.leaseDurationSeconds) * 1000;
    const expired = Date.now() > this.observed.at + duration;
    if (holder !== '' && holder !== this.identity && !expired) return false;

    const acquiring = holder !== this.identity;
    try {
      await this.api.replaceNamespacedLease({
        name: this.name,
        namespace,
        body: {
          ...lease,
          // The resourceVersion read: if anyone wrote since, this is a 409.
          metadata: { ...lease.metadata, name: this.name, namespace, resourceVersion },
          spec: {
            ...spec,
            holderIdentity: this.identity,
            leaseDurationSeconds: this.leaseDurationSeconds,
            renewTime: now,
            acquireTime: acquiring ? now : spec.acquireTime,
            leaseTransitions: (spec.leaseTransitions ?? 0) + (acquiring && holder !== '' ? 1 : 0),
          },
        },
      });
      return true;
    } catch (err) {
      if (httpStatus(err) === 409) return false;
      throw err;
    }
  }

  /** Empties holderIdentity so that a standby acquires at its next try, not after expiry. */
  private async release(): Promise<void> {
    const { namespace } = this.options;
    try {
      const lease = await this.api.readNamespacedLease({ name: this.name, namespace });
      if (lease.spec?.holderIdentity !== this.identity) return;
      const now = new V1MicroTime(Date.now());
      await this.api.replaceNamespacedLease({
        name: this.name,
        namespace,
        body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now } },
      });
      this.options.logger?.info('released leader lease', { lease: this.name, identity: this.identity });
    } catch (err) {
      // The lease then expires on its own after leaseDurationSeconds.
      this.options.logger?.warn('could not release leader lease', { lease: this.name, err });
    }
  }
}
