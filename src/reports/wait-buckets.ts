/**
 * Answered waits are counted cumulatively at these bounds (seconds): `answered_within[i]`
 * holds the conversations answered within `WAIT_BUCKETS_SECONDS[i]`, so a service level
 * can be computed afterwards at any bound, for any period, by adding one array element
 * per interval row. A queue's target may change and its past reports follow, as in
 * Genesys Cloud.
 */
export const WAIT_BUCKETS_SECONDS = [5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400] as const;

/** 1 at every bound the wait is within, 0 elsewhere. */
export function withinCounts(seconds: number): number[] {
  return WAIT_BUCKETS_SECONDS.map((bound) => (seconds <= bound ? 1 : 0));
}

/**
 * The bound a service-level threshold is measured at: the largest bound not above it, and
 * its index in `WAIT_BUCKETS_SECONDS` (-1 below the first bound: nothing counts as within).
 */
export function thresholdBoundOf(thresholdSeconds: number): { bound: number; index: number } {
  let index = -1;
  while (index + 1 < WAIT_BUCKETS_SECONDS.length && WAIT_BUCKETS_SECONDS[index + 1]! <= thresholdSeconds) index++;
  return { bound: index === -1 ? 0 : WAIT_BUCKETS_SECONDS[index]!, index };
}
