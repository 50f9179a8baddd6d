import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

/**
 * Addresses as Parley keys them: phones in E.164, e-mails trimmed and lower-cased. Every
 * list, ledger and check stores and looks up this form, so "06 12 34 56 78" written in
 * France and "+33612345678" are one address.
 */

/** A normalized address, or why the input is not one. */
export type Normalized = { ok: true; value: string } | { ok: false; reason: string };

// The WHATWG HTML "valid e-mail address" syntax: what browsers accept in <input type=email>.
const emailSyntax = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** `raw` as E.164; numbers without a country code are read as of `defaultCountry` (ISO 3166 alpha-2). */
export function normalizePhone(raw: string, defaultCountry?: string | null): Normalized {
  const text = raw.trim();
  if (text === '') return { ok: false, reason: 'empty phone number' };
  // The max metadata checks the digits against each country's numbering plan, not only the length.
  const phone = parsePhoneNumberFromString(text, (defaultCountry ?? undefined) as CountryCode | undefined);
  if (!phone) {
    return { ok: false, reason: defaultCountry || text.startsWith('+') ? `not a phone number: ${text}` : `not a phone number (no country code and no default country): ${text}` };
  }
  if (!phone.isValid()) return { ok: false, reason: `not a valid phone number: ${text}` };
  return { ok: true, value: phone.number };
}

/** `raw` trimmed and lower-cased, when its syntax is an e-mail address's. */
export function normalizeEmail(raw: string): Normalized {
  const text = raw.trim();
  if (text === '') return { ok: false, reason: 'empty e-mail address' };
  if (text.length > 254 || !emailSyntax.test(text)) return { ok: false, reason: `not a valid e-mail address: ${text}` };
  return { ok: true, value: text.toLowerCase() };
}

/** An e-mail when it contains `@`, else a phone. */
export function normalizeAddress(raw: string, defaultCountry?: string | null): Normalized {
  return raw.includes('@') ? normalizeEmail(raw) : normalizePhone(raw, defaultCountry);
}

/** Like `normalizeAddress`, throwing `InvalidAddressError` for callers that take one address. */
export function requireAddress(raw: string, defaultCountry?: string | null): string {
  const result = normalizeAddress(raw, defaultCountry);
  if (!result.ok) throw new InvalidAddressError(result.reason);
  return result.value;
}

/** Bad input: the address is neither an E.164-able phone number nor an e-mail address. */
export class InvalidAddressError extends Error {
  override readonly name = 'InvalidAddressError';
}
