import { dayIn, startOfDayIn } from '../contract/index.ts';
import type { ReportQuery } from './report-query.ts';

const HOUR_MS = 3_600_000;
const LAST_QUARTER_MS = 45 * 60_000;

/** [from, to) */
export interface Range {
  from: Date;
  to: Date;
}

/**
 * Which rows a report reads: day rows of `dayZone` over `days`, UTC hour rows over
 * `hours`, 15-minute rows over `quarters`. The ranges do not overlap and together cover
 * the report's period exactly, and each row read lies within one period of the report,
 * so adding them up per period gives what adding the 15-minute rows would.
 */
export interface ReadPlan {
  dayZone: string | undefined;
  days: Range[];
  hours: Range[];
  quarters: Range[];
}

const QUARTER_MS = 15 * 60_000;
const clocks = new Map<string, Intl.DateTimeFormat>();

/** `YYYY-MM-DD HH:MM` in `zone` (formatters cached per zone: building one costs more than a hundred uses). */
function localMinute(zone: string, at: number): string {
  let format = clocks.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('sv-SE', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    clocks.set(zone, format);
  }
  return format.format(at);
}

/** `YYYY-MM-DD HH` in `zone`: the local hour of an instant. */
const localHour = (zone: string, at: number) => localMinute(zone, at).slice(0, 13);

/** The instant `day` starts in `zone`, knowing the previous day started at `previous`: 24 h later, unless a change of offset moved it. */
function midnightAfter(zone: string, previous: number, day: string): Date {
  const guess = previous + 24 * HOUR_MS;
  if (localMinute(zone, guess) === `${day} 00:00` && !localMinute(zone, guess - QUARTER_MS).startsWith(day)) return new Date(guess);
  return startOfDayIn(day, zone);
}

function nextDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** The whole local days of `zone` inside [from, to), as one range from the first midnight to the last; undefined without any. */
function wholeDays(zone: string, from: Date, to: Date): Range | undefined {
  let day = dayIn(zone, from);
  let start = startOfDayIn(day, zone);
  if (start < from) start = startOfDayIn((day = nextDay(day)), zone);
  const first = start;
  for (;;) {
    const end = midnightAfter(zone, start.getTime(), (day = nextDay(day)));
    if (end > to) break;
    start = end;
  }
  return start > first ? { from: first, to: start } : undefined;
}

/**
 * Splits [from, to) between UTC hour rows, where `usable` says an hour row lies within one
 * report period, and 15-minute rows for the rest (the partial hours at the edges, and hours
 * a zone's half-hour offset or a change of offset splits).
 */
function splitHours(range: Range, usable: (hour: number) => boolean, plan: ReadPlan): void {
  const first = Math.ceil(range.from.getTime() / HOUR_MS) * HOUR_MS;
  const end = Math.floor(range.to.getTime() / HOUR_MS) * HOUR_MS;
  let quarterFrom = range.from.getTime();
  let hourFrom: number | undefined;
  for (let h = first; h < end; h += HOUR_MS) {
    if (usable(h)) {
      if (hourFrom === undefined) {
        if (quarterFrom < h) plan.quarters.push({ from: new Date(quarterFrom), to: new Date(h) });
        hourFrom = h;
      }
    } else if (hourFrom !== undefined) {
      plan.hours.push({ from: new Date(hourFrom), to: new Date(h) });
      hourFrom = undefined;
      quarterFrom = h;
    }
  }
  if (hourFrom !== undefined) {
    plan.hours.push({ from: new Date(hourFrom), to: new Date(end) });
    quarterFrom = end;
  }
  if (quarterFrom < range.to.getTime()) plan.quarters.push({ from: new Date(quarterFrom), to: range.to });
}

/**
 * The coarsest exact rows for a report: day rows when the report is by day (or a total)
 * and its zone has them (a total may use UTC's), over the whole local days of the period;
 * hour rows for the hours that fall within one period of the report (every hour, for a
 * zone a whole number of hours from UTC); 15-minute rows for the rest.
 */
export function readPlan(q: Pick<ReportQuery, 'from' | 'to' | 'granularity' | 'timeZone'>, dayZones: ReadonlySet<string>): ReadPlan {
  const plan: ReadPlan = { dayZone: undefined, days: [], hours: [], quarters: [] };
  if (q.granularity === '15m') {
    plan.quarters.push({ from: q.from, to: q.to });
    return plan;
  }
  const zone = q.timeZone;
  let rest: Range[] = [{ from: q.from, to: q.to }];
  const dayZone = q.granularity === 'day' ? (dayZones.has(zone) ? zone : undefined) : q.granularity === 'total' ? (dayZones.has(zone) ? zone : dayZones.has('UTC') ? 'UTC' : undefined) : undefined;
  const days = dayZone === undefined ? undefined : wholeDays(dayZone, q.from, q.to);
  if (days) {
    plan.dayZone = dayZone;
    plan.days.push(days);
    rest = [
      { from: q.from, to: days.from },
      { from: days.to, to: q.to },
    ].filter((r) => r.from < r.to);
  }
  const period = (at: number) => (q.granularity === 'day' ? localHour(zone, at).slice(0, 10) : localHour(zone, at));
  // An hour row is one period's when its first and last quarters are: offsets change on quarter-hour boundaries.
  const usable = q.granularity === 'total' ? () => true : (h: number) => period(h) === period(h + LAST_QUARTER_MS);
  for (const range of rest) splitHours(range, usable, plan);
  return plan;
}
