import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { timezones } from 'libphonenumber-geo-carrier';
import { isTimeZone } from '../contract/index.ts';

/**
 * The time zones a recipient may be in: the contact's own column when it holds an IANA
 * name, else those of the phone number's country and (for countries with several zones)
 * area code, from Google's libphonenumber data (`libphonenumber-geo-carrier`). One zone
 * means it is known; several (a US toll-free number lists every US zone) or none mean the
 * caller must fall back to a default zone with the strictest window. E-mail addresses
 * have no zone.
 */
export async function recipientTimeZone(address: string, column?: string | null): Promise<string[]> {
  const given = column?.trim();
  if (given && isTimeZone(given)) return [given];
  if (address.includes('@')) return [];
  const phone = parsePhoneNumberFromString(address);
  if (!phone) return [];
  const zones = (await timezones(phone)) ?? [];
  return zones.filter((z) => z !== 'Etc/Unknown' && isTimeZone(z));
}
