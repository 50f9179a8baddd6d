export interface WaitForOptions {
  /** Give up after this long. Default 10s. */
  timeoutMs?: number;
  /** Pause between probes. Default 50ms. */
  intervalMs?: number;
  /** Description of the awaited condition, used in the timeout error. */
  what?: string;
  /** Stop waiting early; the returned promise rejects with the abort reason. */
  signal?: AbortSignal;
}

/**
 * Polls `probe` until it returns a value other than `undefined` and resolves
 * with that value. A probe that throws counts as "not yet" (like vi.waitFor);
 * the last error is attached as `cause` if the wait times out.
 *
 * This is a condition wait for observable state, not a sleep: it returns as
 * soon as the condition holds.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  opts: WaitForOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 50;
  const what = opts.what ?? 'condition';
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;

  for (;;) {
    opts.signal?.throwIfAborted();
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    try {
      // Race the probe against the deadline so a hung probe cannot stall us.
      const result = await withTimeout(Promise.resolve().then(probe), remaining);
      if (result.timedOut) break;
      if (result.value !== undefined) return result.value;
    } catch (err) {
      lastError = err;
    }
    await delay(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }

  const suffix = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(`waitFor: timed out after ${timeoutMs}ms waiting for ${what}${suffix}`, {
    cause: lastError,
  });
}

type Raced<T> = { timedOut: true } | { timedOut: false; value: T };

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<Raced<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Raced<T>>((resolve) => {
    timer = setTimeout(() => resolve({ timedOut: true }), ms);
  });
  try {
    return await Promise.race([promise.then((value): Raced<T> => ({ timedOut: false, value })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
