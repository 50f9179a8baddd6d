/** Reports are kept per 15 minutes: the finest granularity they can be asked for. */
export const INTERVAL_MS = 15 * 60_000;

/** The start of the 15-minute interval holding `at` (UTC-aligned: every zone in use today is a multiple of 15 minutes from UTC). */
export function intervalStartOf(at: Date): Date {
  return new Date(Math.floor(at.getTime() / INTERVAL_MS) * INTERVAL_MS);
}
