/**
 * Report periods: the instants the reports API wants (15-minute boundaries) from the days
 * a supervisor picks, in the report's time zone.
 */

import { zoneOffsetMinutes } from '../../../src/contract/time-zone.ts';

/** Midnight starting `day` ("2026-12-07") in `timeZone`, as an ISO instant. */
export function startOfDay(day: string, timeZone: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d);
  // Twice: the offset at the guess may differ from the offset at the answer (a DST change).
  let instant = wall - zoneOffsetMinutes(timeZone, wall) * 60_000;
  instant = wall - zoneOffsetMinutes(timeZone, instant) * 60_000;
  return new Date(instant).toISOString();
}

/** The day after `day`. */
export function nextDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** Today in `timeZone`, "YYYY-MM-DD". */
export function today(timeZone: string, now = Date.now()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** `days` days before `day`. */
export function daysBefore(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d - days)).toISOString().slice(0, 10);
}
