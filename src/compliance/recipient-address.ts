import { normalizeEmail, normalizePhone } from './address.ts';

/** How a channel names a customer (`InboundMessage.from`, `OutboundMessage.to`). */
export interface ChannelIdentity {
  id: string;
  idType: 'phone' | 'email' | 'opaque';
  /** A phone number known for this customer (E.164), e.g. beside a WhatsApp BSUID. */
  phone?: string | undefined;
  email?: string | undefined;
}

/**
 * The address the consent ledger and the do-not-contact lists key this customer by, or
 * undefined when the channel gives none (an opaque id without a phone number).
 * WhatsApp's `wa_id` is the number's digits without `+`: it is read as E.164.
 */
export function addressOfIdentity(who: ChannelIdentity): string | undefined {
  if (who.phone) {
    const phone = normalizePhone(who.phone);
    if (phone.ok) return phone.value;
  }
  if (who.idType === 'phone') {
    const raw = who.id.trim();
    const phone = normalizePhone(/^\d+$/.test(raw) ? `+${raw}` : raw);
    return phone.ok ? phone.value : undefined;
  }
  const email = who.email ?? (who.idType === 'email' ? who.id : undefined);
  if (email) {
    const normalized = normalizeEmail(email);
    if (normalized.ok) return normalized.value;
  }
  return undefined;
}
