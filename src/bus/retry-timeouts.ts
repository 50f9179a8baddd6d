import { setTimeout as sleep } from 'node:timers/promises';
import { TimeoutError } from '@nats-io/transport-node';

/** How long a start-up step keeps asking a JetStream that does not answer in time. */
export const START_TIMEOUTS_DEADLINE_MS = 60_000;

/**
 * Runs `attempt` again while NATS answers it with a timeout, with backoff (0.25 s doubling
 * to 2 s), until `deadlineMs` has passed; any other error, or a timeout past the deadline,
 * is thrown. For idempotent start-up steps (creating a bucket, a compare-and-set): a
 * JetStream busy with other starting processes, or electing a stream leader, answers
 * late for a while, and that is no reason for a process to exit.
 */
export async function retryTimeouts<T>(attempt: () => Promise<T>, options: { deadlineMs?: number; onRetry?: (err: Error, attempts: number) => void } = {}): Promise<T> {
  const deadline = Date.now() + (options.deadlineMs ?? START_TIMEOUTS_DEADLINE_MS);
  for (let attempts = 1, pauseMs = 250; ; attempts++, pauseMs = Math.min(2_000, pauseMs * 2)) {
    try {
      return await attempt();
    } catch (err) {
      if (!isNatsTimeout(err) || Date.now() + pauseMs >= deadline) throw err;
      options.onRetry?.(err as Error, attempts);
      await sleep(pauseMs);
    }
  }
}

/** A request to NATS (JetStream API included) that got no answer in time. */
export function isNatsTimeout(err: unknown): boolean {
  if (err instanceof TimeoutError) return true;
  // The JetStream and KV clients may wrap the request's timeout.
  return err instanceof Error && err.cause !== undefined && isNatsTimeout(err.cause);
}
