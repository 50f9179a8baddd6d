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
