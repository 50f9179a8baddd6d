import { Counter, Histogram, type Registry } from 'prom-client';
import type { ReportEvent } from './fold-events.ts';
import { WAIT_BUCKETS_SECONDS } from './wait-buckets.ts';

/**
 * The reports' queue figures as Prometheus metrics, counted as facts are folded (by
 * whichever process folds them: sum over processes). Service level in PromQL, e.g. 20 s:
 * `sum(rate(parley_queue_answer_wait_seconds_bucket{le="20"}[1h])) / (sum(rate(parley_queue_answer_wait_seconds_count[1h])) + sum(rate(parley_queue_conversations_total{outcome="abandoned"}[1h])))`.
 */
export function reportMetrics(registry: Registry) {
  const conversations = new Counter({
    name: 'parley_queue_conversations_total',
    help: 'Conversations by queue outcome as the reports count them: offered (entered the queue), answered, abandoned, flowedOut, transferred.',
    labelNames: ['tenant', 'queue', 'outcome'] as const,
    registers: [registry],
  });
  const answerWait = new Histogram({
    name: 'parley_queue_answer_wait_seconds',
    help: "Wait in queue of answered conversations, on the reports' service-level buckets.",
    labelNames: ['tenant', 'queue'] as const,
    buckets: [...WAIT_BUCKETS_SECONDS],
    registers: [registry],
  });
  const handleTime = new Histogram({
    name: 'parley_queue_handle_seconds',
    help: 'Handle time (answer to the end of the assignment) of conversations, by queue.',
    labelNames: ['tenant', 'queue'] as const,
    buckets: [30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 86400],
    registers: [registry],
  });
  const afterWork = new Histogram({
    name: 'parley_queue_after_work_seconds',
    help: "After-conversation work of agents (the end of the assignment to the agent's slot freeing), by queue.",
    labelNames: ['tenant', 'queue'] as const,
    buckets: [5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [registry],
  });
  return {
    folded(events: readonly ReportEvent[]): void {
      for (const e of events) {
        if (e.queue === null) continue;
        const labels = { tenant: e.tenant, queue: e.queue };
        switch (e.kind) {
          case 'offered':
          case 'abandoned':
          case 'flowedOut':
          case 'transferred':
            conversations.inc({ ...labels, outcome: e.kind });
            break;
          case 'answered':
            conversations.inc({ ...labels, outcome: 'answered' });
            answerWait.observe(labels, Math.max(0, e.seconds ?? 0));
            break;
          case 'handled':
            handleTime.observe(labels, Math.max(0, e.seconds ?? 0));
            break;
          case 'afterWork':
            afterWork.observe(labels, Math.max(0, e.seconds ?? 0));
            break;
          default:
            break;
        }
      }
    },
  };
}
export type ReportMetrics = ReturnType<typeof reportMetrics>;
