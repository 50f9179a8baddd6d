import { normalizeEmail, normalizePhone } from '../compliance/index.ts';
import { isTimeZone } from '../contract/index.ts';

/** A contact's fields, checked and normalized, or why not. */
export type CheckedContact =
  | { ok: true; contactId: string | null; phone: string | null; email: string | null; timeZone: string | null }
  | { ok: false; reason: string };

/**
 * The rules every contact meets, imported or added one at a time: a valid phone (E.164,
 * read with the list's default country) or a valid e-mail, at least one of them; a known
 * IANA time zone when one is given; an id of at most 128 characters.
 */
export function checkContact(
  fields: { contactId?: string | null; phone?: string | null; email?: string | null; timeZone?: string | null },
  defaultCountry: string | null,
): CheckedContact {
  const contactId = fields.contactId?.trim() || null;
  if (contactId && contactId.length > 128) return { ok: false, reason: 'contact id longer than 128 characters' };
  let phone: string | null = null;
  if (fields.phone?.trim()) {
    const normalized = normalizePhone(fields.phone, defaultCountry);
    if (!normalized.ok) return normalized;
    phone = normalized.value;
  }
  let email: string | null = null;
  if (fields.email?.trim()) {
    const normalized = normalizeEmail(fields.email);
    if (!normalized.ok) return normalized;
    email = normalized.value;
  }
  if (phone === null && email === null) return { ok: false, reason: 'no phone number or e-mail address' };
  const timeZone = fields.timeZone?.trim() || null;
  if (timeZone && !isTimeZone(timeZone)) return { ok: false, reason: `unknown time zone: ${timeZone}` };
  return { ok: true, contactId, phone, email, timeZone };
}
