import { dayIn, startOfDayIn } from '../contract/index.ts';

/**
 * Midnight of `now`'s day in `timeZone`, as an instant. Every zone in use is a whole number
 * of 15 minutes from UTC, so the result falls on a report interval boundary.
 */
export function startOfDay(now: Date, timeZone: string): Date {
  return startOfDayIn(dayIn(timeZone, now), timeZone);
}
