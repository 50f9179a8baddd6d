import { describe, expect, it } from 'vitest';
import { readSettings, SettingsError } from './settings.ts';

describe('PARLEY_REPORT_TIME_ZONES', () => {
  it('lists the zones reports keep day rows for, none by default', () => {
    expect(readSettings({}).reportTimeZones).toEqual([]);
    expect(readSettings({ PARLEY_REPORT_TIME_ZONES: 'Europe/Paris, America/New_York' }).reportTimeZones).toEqual(['Europe/Paris', 'America/New_York']);
  });

  it('refuses a name that is not an IANA zone', () => {
    expect(() => readSettings({ PARLEY_REPORT_TIME_ZONES: 'Europe/Paris,Mars/Olympus' })).toThrow(SettingsError);
  });
});
