/**
 * Report periods: the instants the reports API wants (15-minute boundaries) from the days
 * a supervisor picks, in the report's time zone.
 */

import { dayIn, startOfDayIn } from '../../../src/contract/time-zone.ts';

/** Midnight starting `day` ("2026-12-07") in `timeZone`, as an ISO instant. */
export function startOfDay(day: string, timeZone: string): string {
  return startOfDayIn(day, timeZone).toISOString();
}

/** The day after `day`. */
export function nextDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** Today in `timeZone`, "YYYY-MM-DD". */
export function today(timeZone: string, now = Date.now()): string {
  return dayIn(timeZone, now);
}

/** `days` days before `day`. */
export function daysBefore(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d - days)).toISOString().slice(0, 10);
}
