import { describe, expect, it } from 'vitest';
import { InvalidAddressError, normalizeAddress, normalizeEmail, normalizePhone, requireAddress } from './address.ts';

describe('addresses', () => {
  it('writes phone numbers in E.164, reading national numbers with the default country', () => {
    expect(normalizePhone('06 12 34 56 78', 'FR')).toEqual({ ok: true, value: '+33612345678' });
    expect(normalizePhone('+1 (415) 555-2671')).toEqual({ ok: true, value: '+14155552671' });
    expect(normalizePhone('(415) 555-2671', 'US')).toEqual({ ok: true, value: '+14155552671' });
  });

  it('rejects numbers that are not valid in their country, and national numbers without a country', () => {
    expect(normalizePhone('06 12', 'FR').ok).toBe(false);
    expect(normalizePhone('+1 555 000 0000').ok).toBe(false);
    const noCountry = normalizePhone('0612345678');
    expect(noCountry).toEqual({ ok: false, reason: expect.stringContaining('no country code') as string });
  });

  it('lower-cases e-mail addresses and checks their syntax', () => {
    expect(normalizeEmail(' Camille@Example.COM ')).toEqual({ ok: true, value: 'camille@example.com' });
    for (const bad of ['camille', 'camille@', '@example.com', 'a b@example.com', 'camille@exa mple.com']) {
      expect(normalizeEmail(bad).ok, bad).toBe(false);
    }
  });

  it('tells e-mails from phones, and throws a named error for one bad address', () => {
    expect(normalizeAddress('x@example.com')).toEqual({ ok: true, value: 'x@example.com' });
    expect(normalizeAddress('+33612345678')).toEqual({ ok: true, value: '+33612345678' });
    expect(() => requireAddress('not an address')).toThrow(InvalidAddressError);
  });
});
