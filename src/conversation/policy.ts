import type { QueueConfig } from '../config/index.ts';

/**
 * The timings and rules of the queue a conversation waits in, captured when it enters
 * the queue: durable timers are armed from them, so a conversation keeps the rules it
 * was queued under (skills, members and method are read live by the scheduler).
 */
export interface QueuePolicy {
  alertingTimeoutMs: number;
  preferredAgentTimeoutMs: number;
  lastAgent: { mode: 'any-queue' | 'this-queue' | 'none'; timeoutMs: number };
  /** Time spent in each bullseye ring before moving out to the next. */
  ringWaitsMs: number[];
  whenExhausted: 'anyone' | 'overflow';
  overflowQueue: string | null;
  wrapUp: { codes: string[]; required: boolean; afterWorkMs: number };
}

export const DEFAULT_POLICY: QueuePolicy = {
  alertingTimeoutMs: 30_000,
  preferredAgentTimeoutMs: 60_000,
  lastAgent: { mode: 'any-queue', timeoutMs: 30_000 },
  ringWaitsMs: [],
  whenExhausted: 'anyone',
  overflowQueue: null,
  wrapUp: { codes: [], required: false, afterWorkMs: 0 },
};

export function policyOf(queue: QueueConfig | undefined): QueuePolicy {
  if (!queue) return DEFAULT_POLICY;
  return {
    alertingTimeoutMs: queue.alertingTimeoutMs,
    preferredAgentTimeoutMs: queue.preferredAgentTimeoutMs,
    lastAgent: queue.lastAgent,
    ringWaitsMs: queue.bullseye?.rings.map((r) => r.waitMs) ?? [],
    whenExhausted: queue.bullseye?.whenExhausted ?? 'anyone',
    overflowQueue: queue.overflowQueue ?? null,
    wrapUp: { codes: queue.wrapUp.codes.map((c) => c.code), required: queue.wrapUp.required, afterWorkMs: queue.wrapUp.afterWorkMs },
  };
}
