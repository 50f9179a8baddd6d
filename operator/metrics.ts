import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ResourceKind } from '../src/config/index.ts';
import type { Informers } from './informers.ts';
import { Kinds } from './resources.ts';
import { readyCondition } from './status.ts';

/** `result` label of `parley_operator_reconciles_total`: an Outcome, or a failure. */
export type ReconcileResult = 'ready' | 'missing_reference' | 'cannot_run' | 'invalid' | 'finalized' | 'absent' | 'terminating' | 'error' | 'terminal_error';

/** The operator's Prometheus metrics (docs: parley_operator_*). */
export class OperatorMetrics {
  private readonly reconciles: Counter<'kind' | 'result'>;
  private readonly duration: Histogram<'kind'>;
  private readonly leader: Gauge;
  private informers: Informers | undefined;

  constructor(registry: Registry) {
    this.reconciles = new Counter({
      name: 'parley_operator_reconciles_total',
      help: 'Reconciles of Channel, Queue and Campaign resources, by kind and result.',
      labelNames: ['kind', 'result'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'parley_operator_reconcile_seconds',
      help: 'Time one reconcile took (API server reads and writes, configuration bucket writes).',
      labelNames: ['kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    const informersNow = () => this.informers;
    new Gauge({
      name: 'parley_operator_resources',
      help: 'Resources the operator sees, by kind and Ready condition status (true, false, unknown).',
      labelNames: ['kind', 'ready'],
      registers: [registry],
      // Counted from the informers' caches at scrape time: never stale, nothing to maintain.
      collect() {
        this.reset();
        const informers = informersNow();
        if (!informers) return;
        for (const kind of Kinds) {
          const counts = { true: 0, false: 0, unknown: 0 };
          for (const obj of informers.byKind[kind].list()) {
            const status = readyCondition(obj)?.status;
            counts[status === 'True' ? 'true' : status === 'False' ? 'false' : 'unknown']++;
          }
          for (const [ready, n] of Object.entries(counts)) this.set({ kind, ready }, n);
        }
      },
    });
    this.leader = new Gauge({ name: 'parley_operator_leader', help: '1 while this instance holds the leader Lease and reconciles, else 0.', registers: [registry] });
    this.leader.set(0);
  }

  /** The caches `parley_operator_resources` counts. */
  watch(informers: Informers): void {
    this.informers = informers;
  }

  reconciled(kind: ResourceKind, result: ReconcileResult, seconds: number): void {
    this.reconciles.inc({ kind, result });
    this.duration.observe({ kind }, seconds);
  }

  setLeader(leading: boolean): void {
    this.leader.set(leading ? 1 : 0);
  }
}
