import { afterEach, describe, expect, it, vi } from 'vitest';
import { signToken } from './hs256-tokens.ts';
import { signLocalToken } from './local-tokens.ts';
import { hs256Verifier } from './token-verifier.ts';

const secret = 'test-secret-that-is-long-enough-for-hs256';
const claims = { sub: 'alice', tenant: 'acme', role: 'agent' } as const;

describe('signToken (the synchronous signer of fixtures and benchmarks)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('signs the same bytes as jose (signLocalToken), which the jose verifier accepts with an 8-hour lifetime', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-22T10:00:00Z') });
    const token = signToken(secret, claims);
    expect(token).toBe(await signLocalToken(secret, claims));
    const now = Date.parse('2026-11-22T10:00:00Z') / 1000;
    await expect(hs256Verifier(secret).verify(token)).resolves.toEqual({ ...claims, iat: now, exp: now + 8 * 3600 });
  });

  it('is refused by a verifier with another secret', async () => {
    await expect(hs256Verifier(secret).verify(signToken('another-secret', claims))).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('refuses an empty secret', () => {
    expect(() => signToken('', claims)).toThrow(RangeError);
  });
});
