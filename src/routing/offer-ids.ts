import { randomFillSync } from 'node:crypto';

/** Random bytes for 256 ids at a time (what `crypto.randomUUID` also does: one call to the CSPRNG per batch). */
const random = Buffer.allocUnsafeSlow(16 * 256);
let used = random.length;
/** The id being written, as ASCII; the dashes stay. */
const text = Buffer.alloc(36, '-');
/** Where each of the 16 bytes goes in the text (two hex digits each, around the dashes). */
const at = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const digits = Buffer.from('0123456789abcdef');

/**
 * A random (version 4) UUID for an offer, as `crypto.randomUUID` makes them, written into
 * one buffer and read out as one flat string: `randomUUID` builds it from 20 small strings,
 * which costs a scheduler more than any other step of an offer.
 */
export function newOfferId(): string {
  if (used === random.length) {
    randomFillSync(random);
    used = 0;
  }
  random[used + 6] = ((random[used + 6] as number) & 0x0f) | 0x40;
  random[used + 8] = ((random[used + 8] as number) & 0x3f) | 0x80;
  for (let i = 0; i < 16; i++) {
    const byte = random[used + i] as number;
    const to = at[i] as number;
    text[to] = digits[byte >>> 4] as number;
    text[to + 1] = digits[byte & 15] as number;
  }
  used += 16;
  return text.toString('latin1', 0, 36);
}
