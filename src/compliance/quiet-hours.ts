/**
 * Callable hours in the recipient's local time. The TCPA bans telephone solicitations
 * before 8am and after 9pm local time (47 CFR 64.1200(c)(1)); Florida's law ends at 8pm.
 */
export interface CallableWindow {
  /** Local time the window opens, minutes after midnight. @default 480 (08:00) */
  startMinute: number;
  /** Local time the window closes, minutes after midnight. @default 1260 (21:00) */
  endMinute: number;
}

export const TcpaWindow: CallableWindow = { startMinute: 8 * 60, endMinute: 21 * 60 };
/** For a recipient whose zone is unknown: the strictest state rule (Florida, 8am–8pm). */
export const StrictestWindow: CallableWindow = { startMinute: 8 * 60, endMinute: 20 * 60 };

export type WindowCheck = { open: true; zone: string } | { open: false; zone: string; nextOpening: Date };

const formatters = new Map<string, Intl.DateTimeFormat>();

function localMinute(zone: string, at: Date): number {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(zone, f);
  }
  const parts = f.formatToParts(at);
  const hour = Number(parts.find((p) => p.type === 'hour')!.value);
  const minute = Number(parts.find((p) => p.type === 'minute')!.value);
  return hour * 60 + minute;
}

/**
 * Whether `at` is inside the window in the recipient's zone. With exactly one known zone
 * that zone's window applies; otherwise `defaultZone` with the strictest window. Closed:
 * the next minute it opens (found minute by minute, so DST changes are honoured).
 */
export function checkCallableWindow(zones: readonly string[], at: Date, options: { defaultZone: string; window?: CallableWindow }): WindowCheck {
  const [zone, window] = zones.length === 1 ? [zones[0]!, options.window ?? TcpaWindow] : [options.defaultZone, StrictestWindow];
  const inside = (t: Date): boolean => {
    const m = localMinute(zone, t);
    return m >= window.startMinute && m < window.endMinute;
  };
  if (inside(at)) return { open: true, zone };
  let t = new Date(Math.floor(at.getTime() / 60_000) * 60_000 + 60_000);
  // A window opens at least once a day; two days bound the search even across a DST change.
  for (let i = 0; i < 2 * 24 * 60 && !inside(t); i++) t = new Date(t.getTime() + 60_000);
  return { open: false, zone, nextOpening: t };
}
