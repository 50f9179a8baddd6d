import type { NatsConnection } from '@nats-io/transport-node';
import { encode, subjects } from '../contract/index.ts';
import type { ReportEvent } from '../reports/index.ts';

/** What `parley.v1.queue.activity.<tenant>` carries: the queues whose report facts were just folded. */
export interface QueueActivityNote {
  queues: string[];
}

/**
 * Tells the gateways which queues just changed, once their facts are folded into the
 * report aggregates (the queue view reads those): one core NATS note per tenant and batch.
 * Best effort, like every event subject: a supervisor stream that misses one catches up
 * with the next, or with its periodic re-read.
 */
export function queueActivityNotifier(nc: NatsConnection): { folded(events: readonly ReportEvent[]): void } {
  return {
    folded(events) {
      const byTenant = new Map<string, Set<string>>();
      for (const e of events) {
        if (e.queue === null) continue;
        let queues = byTenant.get(e.tenant);
        if (!queues) byTenant.set(e.tenant, (queues = new Set()));
        queues.add(e.queue);
      }
      for (const [tenant, queues] of byTenant) {
        nc.publish(subjects.queueActivity(tenant), encode({ queues: [...queues] } satisfies QueueActivityNote));
      }
    },
  };
}

/** Several observers of the folded facts as one (the report folder takes one). */
export function foldObservers(...observers: { folded(events: readonly ReportEvent[]): void }[]) {
  return {
    folded(events: readonly ReportEvent[]): void {
      for (const o of observers) o.folded(events);
    },
  };
}
