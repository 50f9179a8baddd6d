import { describe, expect, it } from 'vitest';
import { countSmsSegments } from './sms-segments.ts';

describe('SMS segments', () => {
  it('fits 160 GSM-7 characters in one message and 161 in two parts of 153', () => {
    expect(countSmsSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(countSmsSegments('a'.repeat(161))).toEqual({ encoding: 'GSM-7', units: 161, segments: 2 });
    expect(countSmsSegments('a'.repeat(306)).segments).toBe(2);
    expect(countSmsSegments('a'.repeat(307)).segments).toBe(3);
  });

  it('counts GSM extension characters as two septets', () => {
    expect(countSmsSegments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(countSmsSegments(`${'€'.repeat(80)}a`).segments).toBe(2);
    expect(countSmsSegments('[]{}\\^~|').units).toBe(16);
  });

  it('never splits an escape pair across parts', () => {
    // 152 plain + one € (2 septets) = 154: the € moves whole to part 2.
    const text = `${'a'.repeat(152)}€${'a'.repeat(10)}`;
    expect(countSmsSegments(text)).toEqual({ encoding: 'GSM-7', units: 164, segments: 2 });
    // 306 septets would fill two parts exactly, but the € cannot straddle them.
    expect(countSmsSegments(`${'a'.repeat(152)}€${'a'.repeat(152)}`)).toEqual({ encoding: 'GSM-7', units: 306, segments: 3 });
  });

  it('switches the whole message to UCS-2 for one non-GSM character: 70, then 67 per part', () => {
    expect(countSmsSegments(`${'a'.repeat(69)}ł`)).toEqual({ encoding: 'UCS-2', units: 70, segments: 1 });
    expect(countSmsSegments(`${'a'.repeat(70)}ł`)).toEqual({ encoding: 'UCS-2', units: 71, segments: 2 });
    expect(countSmsSegments('é').encoding).toBe('GSM-7');
  });

  it('counts an emoji as two UCS-2 units and keeps it whole', () => {
    expect(countSmsSegments('😀'.repeat(35))).toEqual({ encoding: 'UCS-2', units: 70, segments: 1 });
    // 66 units + an emoji (2) does not fit part 1 of 67: it moves to part 2.
    expect(countSmsSegments(`${'a'.repeat(66)}😀${'a'.repeat(10)}`)).toEqual({ encoding: 'UCS-2', units: 78, segments: 2 });
  });

  it('gives no segment for no text', () => {
    expect(countSmsSegments('').segments).toBe(0);
  });
});
