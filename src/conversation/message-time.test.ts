import { describe, expect, it } from 'vitest';
import { MAX_CLOCK_SKEW_MS } from '../contract/index.ts';
import { messageTime } from './message-time.ts';

describe('messageTime', () => {
  const receivedAt = new Date('2026-06-01T12:00:00.000Z');
  const stamped = (offsetMs: number) => new Date(receivedAt.getTime() + offsetMs).toISOString();

  it.each([0, MAX_CLOCK_SKEW_MS, -MAX_CLOCK_SKEW_MS, 1_000, -1_000])('keeps the provider time %d ms from the receive time', (offset) => {
    expect(messageTime(stamped(offset), receivedAt).toISOString()).toBe(stamped(offset));
  });

  it.each([MAX_CLOCK_SKEW_MS + 1, -MAX_CLOCK_SKEW_MS - 1, 25 * 3_600_000, -48 * 3_600_000])('files a message stamped %d ms away under the receive time', (offset) => {
    expect(messageTime(stamped(offset), receivedAt)).toEqual(receivedAt);
  });

  it('reads time zone offsets', () => {
    expect(messageTime('2026-06-01T14:03:00+02:00', receivedAt).toISOString()).toBe('2026-06-01T12:03:00.000Z');
  });
});
