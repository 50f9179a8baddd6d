/**
 * SMS segment counting (3GPP TS 23.038). GSM-7 fits 160 septets in one message and 153 per
 * part of a concatenated one; UCS-2 fits 70 UTF-16 units, 67 per part (the other bytes
 * carry the concatenation header). One character outside GSM-7 makes the whole message
 * UCS-2. A character is never split across parts: an extension character (escape +
 * char) or a surrogate pair (an emoji) moves whole to the next part, as handsets do.
 */

const gsmBasic = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
/** The extension table: each costs two septets (escape + char). */
const gsmExtension = new Set('\f^{}\\[~]|€');

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSegments {
  readonly encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 units (UCS-2) of the whole text. */
  readonly units: number;
  readonly segments: number;
}

const limits: Record<SmsEncoding, { single: number; part: number }> = {
  'GSM-7': { single: 160, part: 153 },
  'UCS-2': { single: 70, part: 67 },
};

export function smsEncodingOf(text: string): SmsEncoding {
  for (const ch of text) if (!gsmBasic.has(ch) && !gsmExtension.has(ch)) return 'UCS-2';
  return 'GSM-7';
}

/** How many SMS parts `text` takes, and in which encoding. */
export function countSmsSegments(text: string): SmsSegments {
  const encoding = smsEncodingOf(text);
  const costs = [...text].map((ch) => (encoding === 'GSM-7' ? (gsmExtension.has(ch) ? 2 : 1) : ch.length));
  const units = costs.reduce((a, b) => a + b, 0);
  const { single, part } = limits[encoding];
  if (units === 0) return { encoding, units, segments: 0 };
  if (units <= single) return { encoding, units, segments: 1 };
  let segments = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > part) {
      segments += 1;
      used = 0;
    }
    used += cost;
  }
  return { encoding, units, segments };
}
