import { describe, expect, it } from 'vitest';
import { daysBefore, nextDay, startOfDay, today } from '../../web/app/src/report-period.ts';

describe('report periods', () => {
  it('starts a day at midnight in the zone, across a daylight-saving change', () => {
    expect(startOfDay('2026-12-07', 'UTC')).toBe('2026-12-07T00:00:00.000Z');
    expect(startOfDay('2026-12-07', 'Europe/Paris')).toBe('2026-12-06T23:00:00.000Z');
    expect(startOfDay('2026-03-29', 'Europe/Paris')).toBe('2026-03-28T23:00:00.000Z');
    expect(startOfDay('2026-03-30', 'Europe/Paris')).toBe('2026-03-29T22:00:00.000Z');
    expect(startOfDay('2026-12-07', 'America/New_York')).toBe('2026-12-07T05:00:00.000Z');
    expect(startOfDay('2026-12-07', 'Asia/Kolkata')).toBe('2026-12-06T18:30:00.000Z');
  });

  it('counts days on the calendar', () => {
    expect(nextDay('2026-12-31')).toBe('2027-01-01');
    expect(daysBefore('2026-03-01', 1)).toBe('2026-02-28');
    expect(today('Pacific/Kiritimati', Date.parse('2026-12-04T12:00:00Z'))).toBe('2026-12-05');
  });
});
