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
  /** The overflow queue's own policy, captured with this one (one level: its overflow is not followed). */
  overflowPolicy: QueuePolicy | null;
  wrapUp: { codes: string[]; required: boolean; afterWorkMs: number };
}

export const DEFAULT_POLICY: QueuePolicy = {
  alertingTimeoutMs: 30_000,
  preferredAgentTimeoutMs: 60_000,
  lastAgent: { mode: 'any-queue', timeoutMs: 30_000 },
  ringWaitsMs: [],
  whenExhausted: 'anyone',
  overflowQueue: null,
  overflowPolicy: null,
  wrapUp: { codes: [], required: false, afterWorkMs: 0 },
};

/**
 * The policy of a queue; `lookup` resolves its overflow queue so that an overflow gets that
 * queue's own rules. An overflow queue `lookup` does not find (deleted, never created) is
 * left out: nothing overflows into a queue where it would never be offered.
 */
export function policyOf(queue: QueueConfig | undefined, lookup?: (name: string) => QueueConfig | undefined): QueuePolicy {
  if (!queue) return DEFAULT_POLICY;
  const overflow = queue.overflowQueue ? lookup?.(queue.overflowQueue) : undefined;
  return {
    alertingTimeoutMs: queue.alertingTimeoutMs,
    preferredAgentTimeoutMs: queue.preferredAgentTimeoutMs,
    lastAgent: queue.lastAgent,
    ringWaitsMs: queue.bullseye?.rings.map((r) => r.waitMs) ?? [],
    whenExhausted: queue.bullseye?.whenExhausted ?? 'anyone',
    overflowQueue: lookup && !overflow ? null : (queue.overflowQueue ?? null),
    overflowPolicy: overflow ? { ...policyOf(overflow), overflowQueue: null, overflowPolicy: null } : null,
    wrapUp: { codes: queue.wrapUp.codes.map((c) => c.code), required: queue.wrapUp.required, afterWorkMs: queue.wrapUp.afterWorkMs },
  };
}
