import { describe, expect, it } from 'vitest';
import { instantAt, localMinuteIn, startOfDayIn } from './time-zone.ts';

describe('wall-clock times in a time zone', () => {
  it('reads a minute of a zone’s clock as an instant, and back', () => {
    expect(instantAt('2026-12-07T09:30', 'Europe/Paris').toISOString()).toBe('2026-12-07T08:30:00.000Z');
    expect(instantAt('2026-12-07T09:30', 'America/New_York').toISOString()).toBe('2026-12-07T14:30:00.000Z');
    expect(instantAt('2026-12-07T09:30', 'Asia/Kolkata').toISOString()).toBe('2026-12-07T04:00:00.000Z');
    expect(localMinuteIn('Europe/Paris', new Date('2026-12-07T08:30:00Z'))).toBe('2026-12-07T09:30');
    expect(localMinuteIn('Asia/Kolkata', new Date('2026-12-06T23:59:00Z'))).toBe('2026-12-07T05:29');
    expect(startOfDayIn('2026-12-07', 'Europe/Paris').toISOString()).toBe('2026-12-06T23:00:00.000Z');
  });

  it('uses the offset in force at that minute across DST changes', () => {
    // Summer time in Paris (UTC+2) on either side of the night it ends.
    expect(instantAt('2026-10-24T23:30', 'Europe/Paris').toISOString()).toBe('2026-10-24T21:30:00.000Z');
    expect(instantAt('2026-10-25T12:00', 'Europe/Paris').toISOString()).toBe('2026-10-25T11:00:00.000Z');
    // A minute the spring change skips is read with the offset before it: 02:30 is 03:30 CEST.
    expect(instantAt('2026-03-29T02:30', 'Europe/Paris').toISOString()).toBe('2026-03-29T01:30:00.000Z');
    // A repeated minute (02:30 twice on 25 October): the occurrence after the change, in CET.
    expect(instantAt('2026-10-25T02:30', 'Europe/Paris').toISOString()).toBe('2026-10-25T01:30:00.000Z');
  });
});
