/** IANA time zones, checked and measured with the runtime's own Intl data (Node and browsers). */

const known = new Map<string, boolean>();

/** Whether `zone` is an IANA time zone name this runtime knows (cached: imports ask once per row). */
export function isTimeZone(zone: string): boolean {
  let answer = known.get(zone);
  if (answer === undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      answer = true;
    } catch {
      answer = false;
    }
    // Bounded: a file full of distinct bad zone names must not grow the cache forever.
    if (known.size < 10_000) known.set(zone, answer);
  }
  return answer;
}

/** The zone's offset from UTC in minutes at `at` (+60 for Paris in winter). */
export function zoneOffsetMinutes(timeZone: string, at: Date | number): number {
  const name = new Intl.DateTimeFormat('en', { timeZone, timeZoneName: 'longOffset' }).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/**
 * The instant the calendar day `day` ("2026-12-07") starts in `timeZone`. The offset is
 * read twice: the one at the first guess may differ from the one at midnight (a DST change).
 */
export function startOfDayIn(day: string, timeZone: string): Date {
  return instantAt(`${day}T00:00`, timeZone);
}

/**
 * The instant a clock in `timeZone` shows `local` ("2026-12-07T09:30", minutes), read
 * like `startOfDayIn`. A time a DST change skips is read with the offset from before it
 * (02:30 on a spring-forward night is 03:30); a repeated one is its occurrence after the change.
 */
export function instantAt(local: string, timeZone: string): Date {
  const [day = '', time = '00:00'] = local.split('T');
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const [hh, mm] = time.split(':').map(Number) as [number, number];
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  const guess = wall - zoneOffsetMinutes(timeZone, wall) * 60_000;
  return new Date(wall - zoneOffsetMinutes(timeZone, guess) * 60_000);
}

/** `at` on a clock in `timeZone`, "2026-12-07T09:30" (minutes: what `<input type="datetime-local">` holds). */
export function localMinuteIn(timeZone: string, at: Date | number): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at).replace(' ', 'T');
}

/** The calendar day of `at` in `timeZone`, "YYYY-MM-DD". */
export function dayIn(timeZone: string, at: Date | number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}
