import { describe, expect, it } from 'vitest';
import { originAllowed } from './channel-settings.ts';
import { SessionLimiter } from './session-limiter.ts';

describe('SessionLimiter', () => {
  it('allows max events per window per key, then refuses until the window ends', () => {
    let now = 0;
    const limiter = new SessionLimiter(2, 1_000, () => now);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a'), limiter.take('b')]).toEqual([true, true, false, true]);
    now = 999;
    expect(limiter.take('a')).toBe(false);
    now = 1_000;
    expect(limiter.take('a')).toBe(true);
  });
});

describe('originAllowed', () => {
  it("allows the Channel's exact origins, any with *, and requests without Origin", () => {
    const settings = { allowedOrigins: ['https://shop.example.com'] };
    expect(originAllowed(settings, 'https://shop.example.com')).toBe(true);
    expect(originAllowed(settings, 'https://shop.example.com.evil.io')).toBe(false);
    expect(originAllowed(settings, 'http://shop.example.com')).toBe(false);
    expect(originAllowed(settings, undefined)).toBe(true);
    expect(originAllowed({ allowedOrigins: ['*'] }, 'https://any.example')).toBe(true);
  });
});
