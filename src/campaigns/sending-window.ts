/**
 * Sending windows ("callable times") in a recipient's local time. A campaign's window is
 * narrowed to the legal one: the TCPA (47 CFR 64.1200(c)(1)) bans solicitations before
 * 8am and after 9pm at the called party's location, whatever the campaign says.
 */

export const Weekdays = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof Weekdays)[number];

export interface SendingWindow {
  days: readonly Weekday[];
  /** HH:MM, local. */
  start: string;
  /** HH:MM, local; after `start`. */
  end: string;
}

/** The legal window: 08:00 to 21:00 local (TCPA). */
export const LegalWindow = { start: 8 * 60, end: 21 * 60 } as const;

interface CompiledWindow {
  days: ReadonlySet<Weekday>;
  startMin: number;
  endMin: number;
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The campaign's window narrowed to the legal one. */
export function compileWindow(window: SendingWindow): CompiledWindow {
  return {
    days: new Set(window.days),
    startMin: Math.max(minutesOf(window.start), LegalWindow.start),
    endMin: Math.min(minutesOf(window.end), LegalWindow.end),
  };
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(zone, f);
  }
  return f;
}

/** The local weekday and minute of the day at `at` in `zone`. */
export function localTime(at: Date, zone: string): { day: Weekday; minute: number } {
  let day: Weekday = 'sun';
  let hour = 0;
  let minute = 0;
  for (const p of formatter(zone).formatToParts(at)) {
    if (p.type === 'weekday') day = p.value.toLowerCase().slice(0, 3) as Weekday;
    else if (p.type === 'hour') hour = Number(p.value);
    else if (p.type === 'minute') minute = Number(p.value);
  }
  return { day, minute: hour * 60 + minute };
}

function openIn(window: CompiledWindow, zone: string, at: Date): boolean {
  const local = localTime(at, zone);
  return window.days.has(local.day) && local.minute >= window.startMin && local.minute < window.endMin;
}

/** Minutes from `at` until the window can next open in `zone` (0 when open): a lower bound, re-checked by the caller. */
function minutesUntilOpen(window: CompiledWindow, zone: string, at: Date): number {
  const local = localTime(at, zone);
  if (window.days.has(local.day) && local.minute >= window.startMin && local.minute < window.endMin) return 0;
  if (window.days.has(local.day) && local.minute < window.startMin) return window.startMin - local.minute;
  let wait = 24 * 60 - local.minute + window.startMin;
  let index = Weekdays.indexOf(local.day);
  for (let i = 0; i < 7; i++) {
    index = (index + 1) % 7;
    if (window.days.has(Weekdays[index]!)) return wait;
    wait += 24 * 60;
  }
  return wait;
}

/**
 * The first instant at or after `at` (to the minute) when the window is open in every
 * zone of `zones`, or undefined when that never happens within 8 days (zones too far
 * apart to share a window). DST shifts are absorbed by re-checking after each jump.
 */
export function nextOpening(window: CompiledWindow, zones: readonly string[], at: Date): Date | undefined {
  if (window.startMin >= window.endMin || window.days.size === 0) return undefined;
  let t = at;
  const limit = at.getTime() + 8 * 86_400_000;
  while (t.getTime() <= limit) {
    const wait = Math.max(...zones.map((zone) => minutesUntilOpen(window, zone, t)));
    if (wait === 0 && zones.every((zone) => openIn(window, zone, t))) return t;
    // Land on a whole minute so that "09:00" means 09:00:00.
    const next = new Date(t.getTime() + Math.max(wait, 1) * 60_000);
    next.setUTCSeconds(0, 0);
    t = next;
  }
  return undefined;
}

/**
 * How long a run whose contacts all wait for their windows sleeps before it looks again:
 * until the earliest attempt is due (`dueAt`, by the run's clock `now`), at least
 * `tickMs` and at most `idleCheckMs` (contacts may be added to the list meanwhile).
 */
export function untilDue(dueAt: Date | undefined, now: Date, tickMs: number, idleCheckMs: number): number {
  if (!dueAt) return idleCheckMs;
  return Math.min(idleCheckMs, Math.max(tickMs, dueAt.getTime() - now.getTime()));
}
