import { describe, expect, it } from 'vitest';
import { startOfDay } from './local-day.ts';

describe('startOfDay', () => {
  it('is midnight of the local day, across offsets and daylight-saving changes', () => {
    expect(startOfDay(new Date('2026-12-06T10:00:00Z'), 'UTC').toISOString()).toBe('2026-12-06T00:00:00.000Z');
    // Paris switches to summer time at 02:00 that day: its midnight was still UTC+1.
    expect(startOfDay(new Date('2026-03-29T12:00:00Z'), 'Europe/Paris').toISOString()).toBe('2026-03-28T23:00:00.000Z');
    // New York leaves summer time at 02:00 that day: its midnight was still UTC-4.
    expect(startOfDay(new Date('2026-11-01T12:00:00Z'), 'America/New_York').toISOString()).toBe('2026-11-01T04:00:00.000Z');
    // A half-hour zone, late in the UTC day: already the next local day.
    expect(startOfDay(new Date('2026-12-06T20:00:00Z'), 'Asia/Kolkata').toISOString()).toBe('2026-12-06T18:30:00.000Z');
  });
});
