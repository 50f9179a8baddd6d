import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ParleyError } from '../contract/index.ts';
import { signToken, verifyToken } from './hs256-tokens.ts';
import { signLocalToken } from './local-tokens.ts';
import { hs256Verifier } from './token-verifier.ts';

const secret = 'test-secret-that-is-long-enough-for-hs256';
const claims = { sub: 'alice', tenant: 'acme', role: 'agent' } as const;

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function forge(head: unknown, payload: unknown, key = secret): string {
  const body = `${b64(head)}.${b64(payload)}`;
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

function expectUnauthorized(fn: () => unknown, detail: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ParleyError);
    expect((err as ParleyError).code).toBe('unauthorized');
    expect((err as ParleyError).message).toMatch(detail);
    return;
  }
  expect.fail('expected verifyToken to throw');
}

describe('tokens (the synchronous HS256 helpers kept until their callers await)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('round-trips the claims with an 8-hour default lifetime', () => {
    vi.useFakeTimers({ now: new Date('2026-11-22T10:00:00Z') });
    const verified = verifyToken(secret, signToken(secret, claims));
    const now = Date.parse('2026-11-22T10:00:00Z') / 1000;
    expect(verified).toEqual({ ...claims, iat: now, exp: now + 8 * 3600 });
  });

  it('produces a standard HS256 JWT', () => {
    const [head] = signToken(secret, claims).split('.');
    expect(JSON.parse(Buffer.from(head!, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
  });

  it('rejects a token signed with another secret', () => {
    expectUnauthorized(() => verifyToken(secret, signToken('another-secret', claims)), /signature/);
  });

  it('rejects a tampered payload', () => {
    const [head, , sig] = signToken(secret, claims).split('.');
    const elevated = b64({ ...claims, role: 'admin', iat: 0, exp: 9_999_999_999 });
    expectUnauthorized(() => verifyToken(secret, `${head}.${elevated}.${sig}`), /signature/);
  });

  it('rejects a truncated signature', () => {
    const token = signToken(secret, claims);
    expectUnauthorized(() => verifyToken(secret, token.slice(0, -4)), /signature/);
  });

  it('rejects an expired token', () => {
    vi.useFakeTimers({ now: new Date('2026-11-22T10:00:00Z') });
    const token = signToken(secret, claims, 60);
    vi.setSystemTime(new Date('2026-11-22T10:01:00Z'));
    expectUnauthorized(() => verifyToken(secret, token), /expired/);
  });

  it('rejects other algorithms, including none', () => {
    const payload = { ...claims, iat: 0, exp: 9_999_999_999 };
    expectUnauthorized(() => verifyToken(secret, forge({ alg: 'HS512', typ: 'JWT' }, payload)), /algorithm/);
    const unsigned = `${b64({ alg: 'none' })}.${b64(payload)}.`;
    expectUnauthorized(() => verifyToken(secret, unsigned), /malformed/);
  });

  it('rejects malformed tokens', () => {
    for (const token of ['', 'a.b', 'a.b.c.d', 'not a token', '!!!.???.***']) {
      expectUnauthorized(() => verifyToken(secret, token), /malformed/);
    }
    expectUnauthorized(() => verifyToken(secret, 'bm90IGpzb24.e30.c2ln'), /malformed/);
  });

  it('rejects well-signed tokens with invalid claims', () => {
    const base = { ...claims, iat: 0, exp: 9_999_999_999 };
    const head = { alg: 'HS256', typ: 'JWT' };
    expectUnauthorized(() => verifyToken(secret, forge(head, { ...base, role: 'root' })), /claims/);
    // A tenant is used inside NATS subjects: a wildcard must never get through.
    expectUnauthorized(() => verifyToken(secret, forge(head, { ...base, tenant: 'acme.>' })), /claims/);
    expectUnauthorized(() => verifyToken(secret, forge(head, { ...base, exp: undefined })), /claims/);
  });

  it('refuses an empty secret', () => {
    expect(() => signToken('', claims)).toThrow(RangeError);
    expect(() => verifyToken('', 'a.b.c')).toThrow(RangeError);
  });

  it('signs the same bytes as jose (signLocalToken), which the jose verifier accepts', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-22T10:00:00Z') });
    const token = signToken(secret, claims, 600);
    expect(token).toBe(await signLocalToken(secret, claims, 600));
    await expect(hs256Verifier(secret).verify(token)).resolves.toMatchObject(claims);
  });

  it('accepts what jose signs', async () => {
    expect(verifyToken(secret, await signLocalToken(secret, claims))).toMatchObject(claims);
  });
});
