/**
 * Waits are kept as histograms over these upper bounds (seconds), so that a service level
 * can be computed for any of them afterwards, for any interval: a queue's target may change
 * and its past reports follow, as in Genesys Cloud. The last bucket holds longer waits.
 */
export const WAIT_BUCKETS_SECONDS = [5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400] as const;

/** The bucket a wait falls in: the first bound at or above it, or the overflow bucket. */
export function waitBucketOf(seconds: number): number {
  const i = WAIT_BUCKETS_SECONDS.findIndex((bound) => seconds <= bound);
  return i === -1 ? WAIT_BUCKETS_SECONDS.length : i;
}

/** The bound a service-level threshold is measured at: the largest bound not above it. */
export function thresholdBucketOf(thresholdSeconds: number): { bound: number; buckets: number } {
  let buckets = 0;
  while (buckets < WAIT_BUCKETS_SECONDS.length && WAIT_BUCKETS_SECONDS[buckets]! <= thresholdSeconds) buckets++;
  return { bound: buckets === 0 ? 0 : WAIT_BUCKETS_SECONDS[buckets - 1]!, buckets };
}

/** How many waits of a histogram are within the first `buckets` buckets. */
export function countWithin(histogram: readonly number[], buckets: number): number {
  let n = 0;
  for (let i = 0; i < buckets && i < histogram.length; i++) n += histogram[i]!;
  return n;
}

/** Element-wise sum (histograms of any lengths). */
export function addHistograms(a: readonly number[], b: readonly number[]): number[] {
  const sum = new Array<number>(Math.max(a.length, b.length)).fill(0);
  for (let i = 0; i < sum.length; i++) sum[i] = (a[i] ?? 0) + (b[i] ?? 0);
  return sum;
}
