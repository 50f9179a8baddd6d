import { describe, expect, it } from 'vitest';
import { checkCallableWindow } from './quiet-hours.ts';
import { recipientTimeZone } from './recipient-time-zone.ts';

describe('recipient time zones and the callable window', () => {
  it('finds the zone from the number: the country, and in the US the area code', async () => {
    expect(await recipientTimeZone('+12125551234')).toEqual(['America/New_York']);
    expect(await recipientTimeZone('+13105551234')).toEqual(['America/Los_Angeles']);
    expect(await recipientTimeZone('+33612345678')).toEqual(['Europe/Paris']);
    // A toll-free number could be anywhere in the plan.
    expect((await recipientTimeZone('+18005550100')).length).toBeGreaterThan(1);
    expect(await recipientTimeZone('x@example.com')).toEqual([]);
  });

  it('prefers a valid zone column, and ignores one that is not an IANA name', async () => {
    expect(await recipientTimeZone('+12125551234', 'America/Chicago')).toEqual(['America/Chicago']);
    expect(await recipientTimeZone('+12125551234', 'Mars/Olympus')).toEqual(['America/New_York']);
  });

  // 2026-12-04T13:30Z is 8:30 in New York, 5:30 in Los Angeles, 14:30 in Paris.
  const at = new Date('2026-12-04T13:30:00Z');
  const options = { defaultZone: 'America/New_York' };

  it('is open from 8am to 9pm local time, and says when a closed window opens', () => {
    expect(checkCallableWindow(['America/New_York'], at, options)).toEqual({ open: true, zone: 'America/New_York' });
    expect(checkCallableWindow(['Europe/Paris'], at, options)).toEqual({ open: true, zone: 'Europe/Paris' });
    expect(checkCallableWindow(['America/Los_Angeles'], at, options)).toEqual({ open: false, zone: 'America/Los_Angeles', nextOpening: new Date('2026-12-04T16:00:00Z') });
    // 21:00 in Paris is closed until 8:00 the next day.
    expect(checkCallableWindow(['Europe/Paris'], new Date('2026-12-04T20:00:00Z'), options)).toMatchObject({ open: false, nextOpening: new Date('2026-12-05T07:00:00Z') });
  });

  it('uses the default zone with the strictest window (8am–8pm) when the zone is unknown or ambiguous', () => {
    // 20:30 in New York: inside the TCPA's 9pm, outside the strictest 8pm.
    const evening = new Date('2026-12-05T01:30:00Z');
    expect(checkCallableWindow(['America/New_York'], evening, options).open).toBe(true);
    expect(checkCallableWindow([], evening, options)).toMatchObject({ open: false, zone: 'America/New_York', nextOpening: new Date('2026-12-05T13:00:00Z') });
    expect(checkCallableWindow(['America/New_York', 'America/Chicago'], evening, options).open).toBe(false);
  });
});
