/**
 * The time zone a supervisor reads reports and interactions in: the browser's until they
 * choose another on either screen, then that one (remembered in this browser).
 */

import { isTimeZone } from '../../../src/contract/time-zone.ts';

const STORAGE_KEY = 'parley.timeZone';

export function chosenTimeZone(): string {
  const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
  return saved && isTimeZone(saved) ? saved : Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** Remembers a valid zone; an unknown one is left for the API to refuse. */
export function chooseTimeZone(zone: string): void {
  if (isTimeZone(zone)) globalThis.localStorage?.setItem(STORAGE_KEY, zone);
}
